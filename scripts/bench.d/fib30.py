# Peer of fib30.dprm: recursive fib(30) in CPython.
import time
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
t0 = time.perf_counter()
r = fib(30)
assert r == 832040, r
print("SECONDS %r" % (time.perf_counter() - t0))
