//! A prepared statement driven through SQLite's C API, for the hub's bulk
//! inserts only.
//!
//! rusqlite binds every text as `SQLITE_TRANSIENT`, so SQLite copies each
//! string into its own buffer before copying it again into the record; with
//! about a million short strings per oct2010 run, binding cost a third of
//! the message inserts (callgrind). Here text is bound as `SQLITE_STATIC`
//! and each row set is bound, stepped, reset and unbound inside one call, so
//! the borrowed strings outlive every use SQLite makes of them.

use std::ffi::{c_int, CStr, CString};
use std::ptr;

use rusqlite::ffi;

/// A value bound to a statement, borrowed from the row it comes from.
pub(crate) enum Value<'a> {
    Null,
    Integer(i64),
    Text(&'a str),
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ValueRef;
        Ok(rusqlite::types::ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// One prepared statement on a connection; finalised on drop.
pub(crate) struct RawStatement<'conn> {
    db: *mut ffi::sqlite3,
    stmt: *mut ffi::sqlite3_stmt,
    _conn: std::marker::PhantomData<&'conn rusqlite::Connection>,
}

fn error(db: *mut ffi::sqlite3, code: c_int) -> rusqlite::Error {
    // SAFETY: `db` is a live connection handle; sqlite3_errmsg returns a
    // NUL-terminated string owned by SQLite, copied out at once.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(msg))
}

impl<'conn> RawStatement<'conn> {
    pub(crate) fn prepare(
        conn: &'conn rusqlite::Connection,
        sql: &str,
    ) -> rusqlite::Result<RawStatement<'conn>> {
        let sql = CString::new(sql).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: the handle stays valid for 'conn (the statement borrows the
        // connection), and this connection is used from one thread at a time.
        let db = unsafe { conn.handle() };
        let mut stmt = ptr::null_mut();
        // SAFETY: `sql` is NUL-terminated (-1 length); `stmt` receives the
        // statement or NULL.
        let rc =
            unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        Ok(RawStatement {
            db,
            stmt,
            _conn: std::marker::PhantomData,
        })
    }

    /// Bind `values` to parameters 1..=n, run the statement to completion,
    /// and leave it reset with no bindings.
    pub(crate) fn execute(&mut self, values: &[Value<'_>]) -> rusqlite::Result<()> {
        let result = self.bind_and_step(values);
        // SAFETY: live statement. Clearing the bindings drops SQLite's
        // pointers into `values` before they can dangle.
        unsafe {
            ffi::sqlite3_reset(self.stmt);
            ffi::sqlite3_clear_bindings(self.stmt);
        }
        result
    }

    fn bind_and_step(&mut self, values: &[Value<'_>]) -> rusqlite::Result<()> {
        // SAFETY: live statement.
        let expected = unsafe { ffi::sqlite3_bind_parameter_count(self.stmt) } as usize;
        if expected != values.len() {
            return Err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                expected,
            ));
        }
        for (i, v) in values.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: live statement, index within 1..=count. Text is bound
            // SQLITE_STATIC: `values` outlives the step below, and `execute`
            // clears the bindings before returning.
            let rc = unsafe {
                match v {
                    Value::Null => ffi::sqlite3_bind_null(self.stmt, at),
                    Value::Integer(n) => ffi::sqlite3_bind_int64(self.stmt, at, *n),
                    Value::Text(s) => {
                        let len = c_int::try_from(s.len()).map_err(|_| {
                            rusqlite::Error::ToSqlConversionFailure("text longer than 2 GiB".into())
                        })?;
                        ffi::sqlite3_bind_text(
                            self.stmt,
                            at,
                            s.as_ptr().cast(),
                            len,
                            ffi::SQLITE_STATIC(),
                        )
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, rc));
            }
        }
        // SAFETY: live statement with every parameter bound.
        match unsafe { ffi::sqlite3_step(self.stmt) } {
            ffi::SQLITE_DONE => Ok(()),
            ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
            rc => Err(error(self.db, rc)),
        }
    }
}

impl Drop for RawStatement<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by us and is finalised once.
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_steps_and_reports_sqlite_errors() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER)")
            .unwrap();
        let mut st =
            RawStatement::prepare(&conn, "INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)").unwrap();
        {
            let owned = String::from("transient");
            st.execute(&[
                Value::Integer(1),
                Value::Text(&owned),
                Value::Null,
                Value::Integer(2),
                Value::Text("two"),
                Value::Integer(7),
            ])
            .unwrap();
        }
        let rows: Vec<(i64, String, Option<i64>)> = conn
            .prepare("SELECT id, a, b FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![(1, "transient".into(), None), (2, "two".into(), Some(7))]
        );
        let dup = st.execute(&[
            Value::Integer(1),
            Value::Text("x"),
            Value::Null,
            Value::Integer(3),
            Value::Text("y"),
            Value::Null,
        ]);
        let msg = dup.unwrap_err().to_string();
        assert!(msg.contains("UNIQUE constraint failed: t.id"), "{msg}");
        let short = st.execute(&[Value::Integer(9)]);
        assert!(matches!(
            short,
            Err(rusqlite::Error::InvalidParameterCount(1, 6))
        ));
        assert!(RawStatement::prepare(&conn, "INSERT INTO nowhere VALUES (1)").is_err());
    }
}
