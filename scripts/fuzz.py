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
command that ran them; turn each into a regression test under Tests/. The run is a function of
--seed: the same seed and budget try the same inputs.

  scripts/fuzz --quick                  # CI: about a minute over all targets, exit 1 on a crash
  scripts/fuzz --seconds 3600           # on demand: an hour
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
            return
        if p.returncode < 0 or p.returncode >= 128:
            s["crashes"] += 1
            sig = -p.returncode if p.returncode < 0 else p.returncode - 128
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            digest = hashlib.sha1(open(os.path.join(case, "fuzz.dprm"), "rb").read()
                                  + b"".join((files or {}).values())).hexdigest()[:12]
            out = os.path.join(self.findings, target, f"{name}-{digest}")
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(case, out)
            with open(os.path.join(out, "stderr.txt"), "wb") as f:
                f.write(p.stderr[-20000:])
            print(f"fuzz: CRASH ({name}) in {target}: {out}", flush=True)

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
        bbm = json.dumps({"input": "Q?", "steps": ["a", "b", "c"], "target": "1", "answer": "1", "mistake_index": 1})
        prmbench = json.dumps({"original_question": "q", "original_process": ["a", "b"], "modified_process": ["a", "c"],
                               "error_steps": [2], "classification": "c", "idx": 7})
        train = json.dumps([{"id": 3, "dataset": "d", "conversations": [{"from": "human", "value": "Q"},
                            {"from": "human", "value": "s1"}, {"from": "gpt", "value": "+"}]}])
        csv = "a,b\n1,\"x, y\"\n2,3\n"
        readers = [("task.jsonl", bbm + "\n" + bbm + "\n", "load_bbm"), ("p.jsonl", prmbench + "\n", "load_prmbench"),
                   ("train.json", train, "load_train"), ("t.json", train, "read_json"), ("t.csv", csv, "read_csv")]
        while time.time() < deadline:
            name, text, reader = self.rng.choice(readers)
            body = self.mutate_json_numbers(text) if self.rng.random() < 0.5 else text
            data = self.mutate_bytes(body.encode()) if self.rng.random() < 0.6 else body.encode()
            self.run("data", "let r = %s(\"%s\")\nprint(r)\n" % (reader, name), {name: data})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", help="the dprm binary (default: .build/release/dprm, else .build/debug/dprm)")
    ap.add_argument("--seconds", type=float, default=300, help="total time budget, split over the targets")
    ap.add_argument("--quick", action="store_true", help="CI mode: 60 seconds in all")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--targets", default="lang,model,data")
    ap.add_argument("--timeout", type=float, default=20, help="seconds per run")
    ap.add_argument("--findings", default=os.path.join(ROOT, "fuzz-findings"))
    a = ap.parse_args()
    binary = a.binary or next((p for p in [os.path.join(ROOT, ".build/release/dprm"), os.path.join(ROOT, ".build/debug/dprm")]
                               if os.path.exists(p)), None)
    if not binary or not os.path.exists(binary):
        sys.exit("fuzz: no dprm binary (build first, or pass --binary)")
    binary = os.path.abspath(binary)
    seconds = 60 if a.quick else a.seconds
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
