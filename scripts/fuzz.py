#!/usr/bin/env python3
"""Seeded mutation fuzzer for dprm (issue 18, "keep it from coming back").

Runs the dprm binary on hostile inputs, each under a timeout and an address-space limit, and
reports every run that ends with a signal (SIGSEGV, SIGILL, SIGABRT, SIGBUS, ...): a crash. A
clean error (exit 65 or 70) or success is what every input must give. Timeouts are counted apart
(they are slow inputs, not crashes). Targets:

  lang       mutated golden, example and stdlib scripts, plus generated hostile snippets
             (deep nesting, cyclic values, huge requests, deep values)
  model      mutated copies of the tiny llama fixture folder (config.json and model.safetensors:
             header bytes, JSON numbers, shapes, offsets) and of its GGUF file, read by load_model
  data       mutated BIG-Bench-Mistake / PRMBench / train records and CSV, read by the loaders

Crashing inputs are copied to the findings folder (default fuzz-findings/, git-ignored) with the
command that ran them, and so are inputs that time out (fuzz-findings/timeouts/: slow, not a
crash, but each is looked at); turn each crash into a regression test under Tests/. The run is a
function of --seed: the same seed and budget try the same inputs. The binary is the release one
(`-Ounchecked`: no overflow checks, the build users run) unless --binary says otherwise.

Two more modes:

  --libfuzzer   builds `dprm-fuzz` (Sources/dprm-fuzz) with libFuzzer and AddressSanitizer
                (release, every module instrumented; build folder .build-fuzz) and runs its
                in-process targets: safetensors, gguf, model (config.json + safetensors), json,
                data (the dataset readers), lang (parse, compile, check). Seed corpora are made
                from the repository's fixtures into fuzz-corpus/ (git-ignored); crashes, leaks
                and timeouts land in fuzz-findings/libfuzzer/TARGET/.
  --asan        builds the loaders' tests with AddressSanitizer (.build-asan) and runs them.
  --replay      runs the libFuzzer targets' seed corpora through the plain `dprm-fuzz` of the
                debug build (no instrumentation, seconds): the harness works and no seed crashes.

  scripts/fuzz --quick                  # CI: about a minute over all targets, exit 1 on a crash
  scripts/fuzz --minutes 60             # on demand: an hour
  scripts/fuzz --libfuzzer --minutes 60 # libFuzzer, an hour split over its targets
  scripts/fuzz --asan                   # the loaders' tests under AddressSanitizer
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMORY_LIMIT = 4 << 30  # bytes of address space per run (the 4 GB)


def limit_memory():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


class Fuzzer:
    def __init__(self, binary, findings, timeout, rng):
        self.binary, self.findings, self.timeout, self.rng = binary, findings, timeout, rng
        self.stats = {}
        self.work = tempfile.mkdtemp(prefix="dprm-fuzz-")

    def run(self, target, script, files=None):
        """Runs `script` (dprm source) with `files` ({name: bytes}) beside it; records the outcome."""
        case = os.path.join(self.work, "case")
        shutil.rmtree(case, ignore_errors=True)
        os.makedirs(case)
        for name, data in (files or {}).items():
            path = os.path.join(case, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        with open(os.path.join(case, "fuzz.dprm"), "wb") as f:
            f.write(script if isinstance(script, bytes) else script.encode("utf-8", "surrogateescape"))
        s = self.stats.setdefault(target, {"inputs": 0, "crashes": 0, "timeouts": 0})
        s["inputs"] += 1
        try:
            p = subprocess.run([self.binary, "run", "fuzz.dprm"], cwd=case, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=self.timeout, preexec_fn=limit_memory)
        except subprocess.TimeoutExpired:
            s["timeouts"] += 1
            self.keep(case, files, os.path.join(self.findings, "timeouts", target), "timeout", b"")
            print(f"fuzz: timeout ({self.timeout:g} s) in {target}: kept in {os.path.join(self.findings, 'timeouts', target)}", flush=True)
            return
        if p.returncode < 0 or p.returncode >= 128:
            s["crashes"] += 1
            sig = -p.returncode if p.returncode < 0 else p.returncode - 128
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            out = self.keep(case, files, os.path.join(self.findings, target), name, p.stderr)
            print(f"fuzz: CRASH ({name}) in {target}: {out}", flush=True)

    def keep(self, case, files, folder, name, stderr):
        """Copies the case folder to folder/NAME-DIGEST with its stderr; returns that path."""
        digest = hashlib.sha1(open(os.path.join(case, "fuzz.dprm"), "rb").read()
                              + b"".join((files or {}).values())).hexdigest()[:12]
        out = os.path.join(folder, f"{name}-{digest}")
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(case, out)
        with open(os.path.join(out, "stderr.txt"), "wb") as f:
            f.write(stderr[-20000:])
        return out

    # ---- mutations -------------------------------------------------------------------------

    def mutate_bytes(self, data, n=None):
        b = bytearray(data)
        for _ in range(n or self.rng.randint(1, 8)):
            if not b:
                b += bytes([self.rng.randrange(256)])
                continue
            i = self.rng.randrange(len(b))
            op = self.rng.randrange(6)
            if op == 0:
                b[i] = self.rng.randrange(256)
            elif op == 1:
                del b[i:i + self.rng.randint(1, 16)]
            elif op == 2:
                j = self.rng.randrange(len(b))
                b[i:i] = b[j:j + self.rng.randint(1, 64)]
            elif op == 3:
                b[i:i] = self.rng.choice([b"(", b"[", b"{", b"}", b"]", b")", b"\"", b"\\", b"\n", b"\xff", b"\xef\xbb\xbf", b"#"])
            elif op == 4:
                b[i:i] = self.rng.choice([b"1e308", b"-1", b"1e19", b"NaN", b"9223372036854775808", b"0", b"1e9", b"nil"])
            else:
                del b[i:]
        return bytes(b)

    def hostile_number(self):
        return self.rng.choice(["-1", "0", "1e9", "1e19", "1e300", "-1e300", "2.5", "9223372036854775807",
                                "9223372036854775808", "18446744073709551616", "4294967296", "\"7\"", "null", "[]", "true"])

    def mutate_json_numbers(self, text):
        numbers = list(re.finditer(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text))
        if not numbers:
            return text
        for _ in range(self.rng.randint(1, 3)):
            m = self.rng.choice(numbers)
            text = text[:m.start()] + self.hostile_number() + text[m.end():]
            numbers = list(re.finditer(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text))
            if not numbers:
                break
        return text

    # ---- targets ---------------------------------------------------------------------------

    def lang_seeds(self):
        seeds = []
        for folder in ["Tests/LangTests/Golden", "Tests/StdlibTests/Golden", "stdlib"]:
            d = os.path.join(ROOT, folder)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                if name.endswith(".dprm"):
                    seeds.append(open(os.path.join(d, name), "rb").read())
        return seeds

    def hostile_snippet(self):
        r = self.rng
        n = r.choice([10, 1000, 5000, 40000])
        k = r.choice([1e6, 1e10, 1e12, 2147483648, -1, 1e300])
        return r.choice([
            "let x = " + "(" * n + "1" + ")" * n,
            "let x = " + "[" * n + "]" * n,
            "let x = " + "-" * n + "1",
            "let x = 1" + " + 1" * n,
            "let a = []\nfor i in range(%d) { a = [a] }\nprint(len(str(a)))" % n,
            "let a = []\na.push(a)\nprint(a == a, str(a))\nprint(json_string(a))",
            "let d = {}\nd.d = d\nprint(d)\nprint(sort([d]))",
            "let a = []\na.push(a)\nlet b = [a]\nprint(sort([a, b]))",
            "print([0] * %g)" % k, "print(\"x\" * %g)" % k, "print(len(list(0..%g)))" % k,
            "print(pad(\"a\", %g))" % k, "print(zeros(%g).shape)" % k, "print(format(1, \">%d\"))" % abs(int(k) % 10**12),
            "print(json_string([1], indent: %g))" % k, "print(range(0, %g, 3))" % k,
            "print(instance_net(hidden_dim: %g))" % k, "print(instance_net(layers: %g))" % k,
            "print(tensor([[1, 2], [3]]))", "print(zeros([1] * %d))" % (n % 30000),
            "fn f(n) { return f(n + 1) }\nf(0)",
            "print(json_parse(\"%s\"))" % ("[" * n),
        ])

    def fuzz_lang(self, deadline):
        seeds = self.lang_seeds()
        while time.time() < deadline:
            if self.rng.random() < 0.3 or not seeds:
                self.run("lang", self.hostile_snippet())
            else:
                self.run("lang", self.mutate_bytes(self.rng.choice(seeds)))

    def fuzz_model(self, deadline):
        folder = os.path.join(ROOT, "Tests/NNTests/Fixtures/llama/tiny-llama")
        gguf = open(os.path.join(ROOT, "Tests/NNTests/Fixtures/llama/tiny-llama.gguf"), "rb").read()
        originals = {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}
        weights = originals["model.safetensors"]
        (header_length,) = struct.unpack("<Q", weights[:8])
        header, data = weights[8:8 + header_length], weights[8 + header_length:]
        script = "let m = load_model(\"model\")\nprint(m)\nprint(m.logits(\"hello\").shape)\n"
        while time.time() < deadline:
            files = {"model/" + k: v for k, v in originals.items()}
            choice = self.rng.randrange(5)
            if choice == 0:  # the safetensors JSON header's numbers (shapes, offsets)
                h = self.mutate_json_numbers(header.decode("utf-8", "replace")).encode()
                files["model/model.safetensors"] = struct.pack("<Q", len(h)) + h + data
            elif choice == 1:  # the header length and raw header bytes
                h = self.mutate_bytes(header, 3)
                length = self.rng.choice([len(h), 2**63, 2**64 - 1, len(h) + 1, 0])
                files["model/model.safetensors"] = struct.pack("<Q", length) + h + data
            elif choice == 2:  # config.json numbers and types
                files["model/config.json"] = self.mutate_json_numbers(originals["config.json"].decode()).encode()
            elif choice == 3:  # any bytes of the weights
                files["model/model.safetensors"] = self.mutate_bytes(weights)
            else:  # the GGUF file
                files = {"model.gguf": self.mutate_bytes(gguf)}
                self.run("model", "let m = load_model(\"model.gguf\")\nprint(m)\nprint(m.logits(\"hello\").shape)\n", files)
                continue
            self.run("model", script, files)

    def fuzz_data(self, deadline):
        samples = {k: v[0].decode() for k, v in data_samples().items()}
        readers = [("task.jsonl", samples["bbm"], "load_bbm"), ("p.jsonl", samples["prmbench"], "load_prmbench"),
                   ("train.json", samples["train"], "load_train"), ("t.json", samples["train"], "read_json"),
                   ("t.csv", samples["csv"], "read_csv")]
        while time.time() < deadline:
            name, text, reader = self.rng.choice(readers)
            body = self.mutate_json_numbers(text) if self.rng.random() < 0.5 else text
            data = self.mutate_bytes(body.encode()) if self.rng.random() < 0.6 else body.encode()
            self.run("data", "let r = %s(\"%s\")\nprint(r)\n" % (reader, name), {name: data})


# ---- libFuzzer -------------------------------------------------------------------------------

LIBFUZZER_TARGETS = ["safetensors", "gguf", "model", "json", "data", "lang"]
# The order of FuzzTarget.dataReaders in Sources/dprm-fuzz/FuzzTargets.swift: a data input's
# first byte picks its reader.
DATA_READERS = ["bbm", "prmbench", "prmbench_pairs", "train", "meta", "meta_v1", "candidates", "jsonl", "csv"]
TOOLCHAIN_RUNTIME = "lib/swift/clang/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a"


def run_checked(cmd, **kw):
    print("fuzz: " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, cwd=ROOT, **kw)
    if p.returncode != 0:
        sys.exit(f"fuzz: failed ({p.returncode}): {' '.join(cmd)}")
    return p


def build_libfuzzer():
    """The release build of dprm-fuzz with coverage for libFuzzer and AddressSanitizer.

    libFuzzer's own `main` cannot be used: SwiftPM links executables with `main` bound to the
    module's entry point, so the harness calls `LLVMFuzzerRunDriver` from the no-main runtime.
    `-sanitize=fuzzer` would link the runtime with main; the coverage flags below are the ones it
    sets (inline 8-bit counters, the PC table, comparison tracing)."""
    swiftc = shutil.which("swiftc")
    if not swiftc:
        sys.exit("fuzz: swiftc not found")
    toolchain = os.path.dirname(os.path.dirname(os.path.realpath(swiftc)))
    runtime = os.path.join(toolchain, TOOLCHAIN_RUNTIME)
    if not os.path.exists(runtime):
        sys.exit(f"fuzz: this toolchain has no libFuzzer runtime ({runtime})")
    build = ["swift", "build", "-c", "release", "--product", "dprm-fuzz", "--build-path", ".build-fuzz",
             "-Xswiftc", "-sanitize=address", "-Xswiftc", "-sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp",
             "-Xswiftc", "-DDPRM_LIBFUZZER", "-Xlinker", runtime, "-Xlinker", "-lstdc++"]
    start = time.time()
    run_checked(build)
    print(f"fuzz: dprm-fuzz built in {time.time() - start:.0f} s", flush=True)
    out = subprocess.run(build + ["--show-bin-path"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return os.path.join(out, "dprm-fuzz")


def fixture_files(exts, limit=200_000):
    out = []
    for folder, _, names in os.walk(os.path.join(ROOT, "Tests")):
        for n in sorted(names):
            path = os.path.join(folder, n)
            if n.endswith(exts) and os.path.getsize(path) <= limit:
                out.append(path)
    return sorted(out)


def make_corpus(target, folder):
    """Seed inputs for one libFuzzer target from the repository's fixtures."""
    os.makedirs(folder, exist_ok=True)
    seeds = []
    llama = os.path.join(ROOT, "Tests/NNTests/Fixtures/llama")
    if target == "safetensors":
        seeds = [open(p, "rb").read() for p in fixture_files((".safetensors",))]
    elif target == "gguf":
        seeds = [open(p, "rb").read() for p in fixture_files((".gguf",))]
    elif target == "model":
        for name in ["tiny-llama", "tiny-qwen2"]:
            d = os.path.join(llama, name)
            if os.path.exists(os.path.join(d, "model.safetensors")):
                config = open(os.path.join(d, "config.json"), "rb").read()
                seeds.append(struct.pack("<H", len(config)) + config + open(os.path.join(d, "model.safetensors"), "rb").read())
    elif target == "json":
        seeds = [open(p, "rb").read() for p in fixture_files((".json",), limit=30_000)][:300]
    elif target == "data":
        samples = data_samples()
        for i, reader in enumerate(DATA_READERS):
            for body in samples.get(reader, []):
                seeds.append(bytes([i]) + body)
    elif target == "lang":
        for d in ["Tests/LangTests/Golden", "Tests/StdlibTests/Golden", "stdlib", "examples"]:
            for n in sorted(os.listdir(os.path.join(ROOT, d))):
                if n.endswith(".dprm"):
                    seeds.append(open(os.path.join(ROOT, d, n), "rb").read())
    for data in seeds:
        with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
    return len(seeds)


def data_samples():
    """Small valid files for each data reader (the mutation fuzzer's records)."""
    bbm = json.dumps({"input": "Q?", "steps": ["a", "b", "c"], "target": "1", "answer": "1", "mistake_index": 1})
    prmbench = json.dumps({"original_question": "q", "original_process": ["a", "b"], "modified_process": ["a", "c"],
                           "error_steps": [2], "classification": "c", "idx": 7})
    conversation = [{"from": "human", "value": "Q"}, {"from": "human", "value": "s1"}, {"from": "gpt", "value": "+"}]
    train = json.dumps([{"id": 3, "dataset": "d", "conversations": conversation}])
    meta = json.dumps([{"id": "m1", "dataset": "d", "true_false": True, "conversations": conversation}])
    candidates = json.dumps([{"id": "q1", "question": "Q", "answer": "4", "candidates": [{"steps": ["2+2=4"], "answer": "4", "correct": True}]}])
    nl = "\n"
    return {"bbm": [(bbm + nl + bbm + nl).encode()], "prmbench": [(prmbench + nl).encode()],
            "prmbench_pairs": [(prmbench + nl).encode()], "train": [train.encode()], "meta": [meta.encode()],
            "meta_v1": [meta.encode()], "candidates": [candidates.encode()], "jsonl": [(bbm + nl).encode()],
            "csv": [b'a,b\n1,"x, y"\n2,3\n']}


def libfuzzer(a, seconds):
    binary = build_libfuzzer()
    targets = [t for t in a.targets.split(",") if t in LIBFUZZER_TARGETS] if a.targets != "lang,model,data" else LIBFUZZER_TARGETS
    per = max(10, int(seconds / len(targets)))
    results = {}
    for t in targets:
        corpus = os.path.join(ROOT, "fuzz-corpus", t)
        seeds = make_corpus(t, corpus)
        artifacts = os.path.join(a.findings, "libfuzzer", t) + "/"
        os.makedirs(artifacts, exist_ok=True)
        cmd = [binary, corpus, f"-max_total_time={per}", f"-seed={a.seed}", f"-timeout={int(a.timeout)}",
               "-rss_limit_mb=4096", "-print_final_stats=1", f"-artifact_prefix={artifacts}", "-max_len=262144"]
        print(f"fuzz: libfuzzer {t}: {per} s, {seeds} seeds", flush=True)
        env = dict(os.environ, DPRM_FUZZ_TARGET=t, ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1")
        p = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", p.stderr)
        found = [n for n in os.listdir(artifacts) if n.startswith(("crash-", "oom-", "timeout-", "leak-"))] if os.path.isdir(artifacts) else []
        crashed = p.returncode != 0
        results[t] = (int(runs[-1]) if runs else 0, crashed, found)
        if crashed:
            with open(os.path.join(artifacts, "stderr.txt"), "w") as f:
                f.write(p.stderr[-50000:])
            print(f"fuzz: libfuzzer {t}: FINDING (exit {p.returncode}): {artifacts} " + ", ".join(found), flush=True)
    bad = 0
    for t, (runs, crashed, found) in results.items():
        print(f"fuzz: libfuzzer {t}: {runs} inputs, {'FINDING ' + ', '.join(found) if crashed else '0 crashes'}")
        bad += crashed
    sys.exit(1 if bad else 0)


def replay(a):
    """Every target's seed corpus through the plain (debug) dprm-fuzz, each input in-process."""
    binary = a.binary or os.path.join(ROOT, ".build/debug/dprm-fuzz")
    if not os.path.exists(binary):
        sys.exit(f"fuzz: no {binary} (swift build first)")
    bad = 0
    for t in LIBFUZZER_TARGETS:
        corpus = os.path.join(ROOT, "fuzz-corpus", t)
        seeds = make_corpus(t, corpus)
        files = sorted(os.path.join(corpus, n) for n in os.listdir(corpus))
        start = time.time()
        p = subprocess.run([binary, t] + files, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=600, preexec_fn=limit_memory)
        print(f"fuzz: replay {t}: {len(files)} inputs ({seeds} seeds) in {time.time() - start:.1f} s, exit {p.returncode}")
        if p.returncode != 0:
            bad += 1
            sys.stderr.write(p.stderr.decode("utf-8", "replace")[-5000:])
    sys.exit(1 if bad else 0)


ASAN_TARGETS = "SupportTests,NNTests,DatasetsTests,LangTests"
ASAN_FILTER = ("SupportTests|DatasetsTests.ReaderErrorTests|DatasetsTests.BPETokenizerTests|DatasetsTests.PRMBenchPairsTests"
               "|NNTests.SafetensorsTests|NNTests.GGUFTests|NNTests.HostileConfigTests|NNTests.LlamaGGUFTests"
               "|LangTests.HostileInputTests|LangTests.JSONBridgeTests|LangTests.CheckerTests")


def asan():
    """The loaders' tests (readers, parsers, hostile inputs) built and run with AddressSanitizer."""
    env = dict(os.environ, DPRM_TEST_TARGETS=ASAN_TARGETS, ASAN_OPTIONS="detect_leaks=0")
    start = time.time()
    run_checked(["swift", "build", "--build-tests", "--sanitize=address", "--build-path", ".build-asan"], env=env)
    print(f"fuzz: asan build {time.time() - start:.0f} s", flush=True)
    start = time.time()
    run_checked(["swift", "test", "--skip-build", "--sanitize=address", "--build-path", ".build-asan", "--filter", ASAN_FILTER], env=env)
    print(f"fuzz: asan: the loaders' tests passed under AddressSanitizer in {time.time() - start:.0f} s")
    sys.exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="the dprm binary (default: .build/release/dprm, else .build/debug/dprm)")
    ap.add_argument("--seconds", type=float, default=300, help="total time budget, split over the targets")
    ap.add_argument("--minutes", type=float, help="total time budget in minutes (instead of --seconds)")
    ap.add_argument("--quick", action="store_true", help="CI mode: 60 seconds in all")
    ap.add_argument("--libfuzzer", action="store_true", help="the in-process libFuzzer targets (with AddressSanitizer)")
    ap.add_argument("--asan", action="store_true", help="the loaders' tests under AddressSanitizer")
    ap.add_argument("--replay", action="store_true", help="the libFuzzer seed corpora through the plain dprm-fuzz")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--targets", default="lang,model,data")
    ap.add_argument("--timeout", type=float, default=20, help="seconds per run")
    ap.add_argument("--findings", default=os.path.join(ROOT, "fuzz-findings"))
    a = ap.parse_args()
    seconds = 60 if a.quick else a.minutes * 60 if a.minutes else a.seconds
    if a.asan:
        asan()
    if a.replay:
        replay(a)
    if a.libfuzzer:
        libfuzzer(a, seconds)
    binary = a.binary or next((p for p in [os.path.join(ROOT, ".build/release/dprm"), os.path.join(ROOT, ".build/debug/dprm")]
                               if os.path.exists(p)), None)
    if not binary or not os.path.exists(binary):
        sys.exit("fuzz: no dprm binary (build first, or pass --binary)")
    binary = os.path.abspath(binary)
    targets = a.targets.split(",")
    fuzzer = Fuzzer(binary, a.findings, a.timeout, random.Random(a.seed))
    print(f"fuzz: {binary}, {seconds:g} s over {', '.join(targets)}, seed {a.seed}", flush=True)
    try:
        for t in targets:
            getattr(fuzzer, "fuzz_" + t)(time.time() + seconds / len(targets))
    finally:
        shutil.rmtree(fuzzer.work, ignore_errors=True)
    crashes = 0
    for t, s in fuzzer.stats.items():
        print(f"fuzz: {t}: {s['inputs']} inputs, {s['crashes']} crashes, {s['timeouts']} timeouts")
        crashes += s["crashes"]
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
