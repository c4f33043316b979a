import numpy as np, csv, sys
rows=list(csv.reader(open(sys.argv[1])))
def eer(g,i):
    # FVC-style: EER = (EERlow+EERhigh)/2 around the crossing
    ts=np.unique(np.concatenate([g,i]))
    fnmr=np.array([(g<t).mean() for t in ts]); fmr=np.array([(i>=t).mean() for t in ts])
    k=np.argmin(np.abs(fnmr-fmr))
    # crude: average at the crossing
    d=fnmr-fmr
    idx=np.where(d>=0)[0]
    if len(idx)==0: return fmr[-1]*100
    j=idx[0]
    if j==0: return (fnmr[0]+fmr[0])/2*100
    # interpolate between j-1 and j
    lo=max(fnmr[j-1],fmr[j-1]) if fnmr[j-1]<=fmr[j-1] else min(fnmr[j-1],fmr[j-1])
    a=(fnmr[j-1]+fmr[j-1])/2; b=(fnmr[j]+fmr[j])/2
    return min(max(fnmr[j-1],fmr[j-1]), max(fnmr[j],fmr[j]))*100
data={}
for db in ['DB1_B','DB2_B','DB3_B','DB4_B','neurotech-crossmatch']:
    R=[r for r in rows if r[0]==db]
    s=np.array([float(r[4]) for r in R]); rms=np.array([float(r[6]) if r[6]!='nan' else 10.0 for r in R]); gen=np.array([r[3]=='1' for r in R])
    data[db]=(s,rms,gen)
def run(f,label):
    out=[]
    for db,(s,rms,gen) in data.items():
        v=f(s,rms); out.append('%.2f'%eer(v[gen],v[~gen]))
    print(label.ljust(28),' / '.join(out))
run(lambda s,r:s,'baseline')
for k in [0.1,0.2,0.3,0.5]:
    for c in [5.0,6.0]:
        run(lambda s,r,k=k,c=c:s*np.exp(-k*np.clip(r-c,0,None)),'exp(-%.1f*(rms-%.0f)+)'%(k,c))
