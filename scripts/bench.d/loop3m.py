# Peer of loop3m.dprm: the same 3,000,000-iteration loop at module level in CPython.
import time
t0 = time.perf_counter()
s = 0
i = 0
while i < 3000000:
    s = s + i * 2 % 7
    i += 1
assert s == 8999997, s
print("SECONDS %r" % (time.perf_counter() - t0))
