import sys, numpy as np
from PIL import Image
out=open(sys.argv[2],'w')
files=[l.split() for l in open(sys.argv[1])]
for f,*_ in files:
    im=np.asarray(Image.open(f).convert('L'),dtype=np.float32)
    B=16; h,w=im.shape; fr=[]
    for y in range(0,h-B+1,B):
        for x in range(0,w-B+1,B):
            b=im[y:y+B,x:x+B]
            lo,hi=np.percentile(b,5),np.percentile(b,95)
            if hi-lo<25: continue
            fr.append(((b<(lo+hi)/2).mean(), hi-lo))
    if not fr: out.write(f"{f} nan 0\n"); continue
    a=np.array(fr)
    out.write(f"{f} {a[:,0].mean():.4f} {len(a)}\n")
