//! Prints `descriptor::profile_mean()` in the layout of `descriptor::PROFILE_MEAN`
//! (run it and paste the output there when the descriptor changes).
fn main() {
    let v = scomm_ident::descriptor::profile_mean();
    let s: Vec<String> = v.iter().map(|x| format!("{x:.4}")).collect();
    for c in s.chunks(8) {
        println!("    {},", c.join(", "));
    }
}
