import numpy as np, collections, sys
def load(p):
    d={}
    for l in open(p):
        s,a,b=l.split(); d[(a,b)]=float(s)
    return d
F=load(sys.argv[1]); A=load(sys.argv[2])
wet={l.split()[0]:float(l.split()[1]) for l in open(sys.argv[3])}
def finger(p):
    n=p.split('/')[-1].rsplit('.',1)[0].split('_'); return p.split('/')[-2]+'/'+'_'.join(n[:-1])
def db(p): return p.split('/')[-2]
keys=list(F)
gen={k:finger(k[0])==finger(k[1]) for k in keys}
def calib(S):
    imp=np.sort([S[k] for k in keys if not gen[k] and db(k[0])!='neurotech-crossmatch'])
    N=len(imp); mx=imp[-1]
    def c(s):
        ge=N-np.searchsorted(imp,s,side='left')
        v=-np.log10((ge+0.5)/(N+1))
        if s>mx: v+= (s-mx)/mx*3
        return v
    return c
cf,ca=calib(F),calib(A)
CF={k:cf(F[k]) for k in keys}; CA={k:ca(A[k]) for k in keys}
def eer(g,i):
    g=np.array(g); i=np.array(i)
    ts=np.unique(np.concatenate([g,i]))
    best=1
    for t in ts:
        fnmr=(g<t).mean(); fmr=(i>=t).mean()
        best=min(best,max(fnmr,fmr))
    # FVC-style: EER approx where they cross
    return best*100
def run(route):
    res=collections.defaultdict(lambda:([],[])); routed=collections.Counter(); tot=collections.Counter()
    for k in keys:
        r=route(k); d=db(k[0]); tot[d]+=1; routed[d]+=r
        res[d][0 if gen[k] else 1].append(CA[k] if r else CF[k])
    out=[]
    for d in ['DB1_B','DB2_B','DB3_B','DB4_B','neurotech-crossmatch']:
        out.append('%s %.2f (%.0f%%)'%(d[:4],eer(*res[d]),100*routed[d]/tot[d]))
    return ' | '.join(out)
print('fast    ', run(lambda k:False))
print('accurate', run(lambda k:True))
for T in [0.08,0.1,0.12,0.15,0.2]:
    print('|dw|>%.2f'%T, run(lambda k:abs(wet[k[0]]-wet[k[1]])>T))
for T in [0.2,0.22,0.25]:
    print('min<%.2f'%T, run(lambda k:min(wet[k[0]],wet[k[1]])<T))
