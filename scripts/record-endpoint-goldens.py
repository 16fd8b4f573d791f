#!/usr/bin/env python3
"""record-endpoint-goldens.py - what the REAL docker CLI makes of generated DOCKER_HOST URLs, context
meta.json files and config.json files, as goldens for statscope's endpoint fuzz check (issue 19).

Writes tests/fixtures/docker-cli/:

  docker-host.jsonl    {"url": U, "cli": {"host": H} | {"error": E}}
                       `DOCKER_HOST=U docker context inspect`: the default context's docker Host as
                       the CLI parsed U (opts.ParseHost), or the CLI's error.
  context-meta.jsonl   {"name": N, "meta": TEXT | "meta_hex": HEX, "cli": {...}}
                       `docker --context N context inspect` with TEXT as the context's meta.json
                       (at contexts/meta/<sha256 of N>/meta.json): {"name": Name, "docker": null |
                       {"host": Host, "skip": SkipTLSVerify}} (no "docker" key: no docker
                       endpoint), or {"error": E}.
  config-json.jsonl    {"config": TEXT, "cli": {"context": NAME} | {"error": E} | {"warning": W,
                       "context": NAME}}: `docker context inspect` with TEXT as config.json, next to
                       two contexts (`ctx`, `other`): the context the CLI uses, or its error.
  docker-version.txt   the CLI that made them.

The cases are generated here, deterministically (a seeded random.Random): the parts of a URL
(schemes, hosts, ports, paths, what may follow) combined and sampled, and the CLI's real context
files mutated the ways a JSON reader can differ (key case, duplicates, null, types, nesting,
encodings, trailing text). Every file holds its inputs, so the tests need only these files.

No daemon is needed. Environment: only PATH, HOME (a folder that does not exist) and DOCKER_CONFIG
(a fresh temporary folder per case) are set.

Usage: scripts/record-endpoint-goldens.py [--check]   (--check: compare with the committed files)
"""

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "tests", "fixtures", "docker-cli"))
DOCKER = os.environ.get("STATSCOPE_DOCKER_CLI", "docker")
SEED = 19
sys.setrecursionlimit(20000)  # the CLI prints a deeply nested Metadata back


def digest(name):
    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()


def run_cli(args, config_dir, extra_env=None):
    env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent-home-for-statscope-goldens",
           "DOCKER_CONFIG": config_dir}
    env.update(extra_env or {})
    p = subprocess.run([DOCKER] + args, env=env, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def first_line(text, config_dir):
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line.replace(config_dir, "$DOCKER_CONFIG")


# ------------------------------------------------------------------------------------------------
# DOCKER_HOST URLs.

SCHEMES = ["", "tcp://", "unix://", "http://", "https://", "ssh://", "npipe://", "fd://",
           "TCP://", "Tcp://", "tcp:/", "tcp:", "udp://", "tcp+tls://", " tcp://", "tcp ://"]
HOSTS = ["", "h", "localhost", "127.0.0.1", "10.0.0.1", "[::1]", "::1", "[::ffff:10.0.0.1]",
         "[fe80::1%25eth0]", "[fe80::1%eth0]", "[::1", "::1]", "[]", "[h]", "a b", "h_1",
         "\u00e9.example", "xn--9ca.example", "h.", "-h", "1.2.3.4.5", "256.1.1.1", "h:1:2",
         "%68", "user@h", "u:p@h", "@h", "h\t", "H.EXAMPLE", "0", "[::1]:2:3", "h%20"]
PORTS = ["", ":", ":0", ":1", ":2375", ":65535", ":65536", ":99999", ":01", ":+1", ":-1",
         ":0x10", ": 1", ":1 ", ":4294967297", ":18446744073709551617", ":\u0661",
         ":00000000000000000000001"]
TAILS = ["", "/", "//", "/p", "/p/", "?q=1", "#f", "/?", "?", "#", "/%2F", " ", "\t"]
PATHS = ["/var/run/docker.sock", "/", "//double", "rel/x", "rel", "/a b", "/x?y", "/x#y",
         "/x/", "./x", "~/x", "/\u00e9", "/%41", "/x:1", "localhost/x"]


def url_cases(rng):
    cases = set()
    for scheme in SCHEMES:
        for host in HOSTS:
            cases.add(scheme + host + ":2375")
            cases.add(scheme + host)
        for port in PORTS:
            cases.add(scheme + "h" + port)
            cases.add(scheme + "[::1]" + port)
        for tail in TAILS:
            cases.add(scheme + "h:2375" + tail)
    for scheme in ["unix://", "", "tcp://", "unix:", "unix:/", "UNIX://"]:
        for path in PATHS:
            cases.add(scheme + path)
    for _ in range(700):
        cases.add(rng.choice(SCHEMES) + rng.choice(HOSTS) + rng.choice(PORTS) + rng.choice(TAILS))
    for pad in [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\v", "\f"]:
        cases.add(pad + "tcp://h:1" + pad)
    cases.update(["", " ", "unix://", "tcp://", "http://", ":", "::", ":::", "[", "]", "/",
                  "h", "h:", ":1", "tcp://:1", "tcp://:", "unix:///", "tcp://h:1:",
                  "tcp://[::1]:2376/", "tcp://h:1/p?q#f", "ssh://u@h", "ssh://h:22/x",
                  "tcp://[::1]x", "tcp://[::1]x:1", "tcp://[::1]]", "tcp://[::1]]:1", "tcp://h]:1",
                  "tcp://[h", "tcp://h:1:+1", "tcp://::1:x", "tcp://h:1/?", "tcp://h:1#",
                  "tcp://h:1?#", "tcp://[::1]:1:2", "tcp://[[::1]]:1", "tcp://h::1"])
    return sorted(c for c in cases if "\0" not in c)


def record_url(url):
    with tempfile.TemporaryDirectory(prefix="statscope-golden-") as cfg:
        code, out, err = run_cli(["context", "inspect"], cfg, {"DOCKER_HOST": url})
        if code == 0:
            v = json.loads(out)
            return {"host": v[0]["Endpoints"]["docker"]["Host"]}
        return {"error": first_line(err, cfg)}


# ------------------------------------------------------------------------------------------------
# Context meta.json.

BASE_META = {"Name": "ctx", "Metadata": {},
             "Endpoints": {"docker": {"Host": "tcp://10.20.30.40:2376", "SkipTLSVerify": False}}}


def dumps(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def meta_cases(rng, urls):
    texts = []

    def add(t, name="ctx"):
        texts.append((name, t))

    base = dumps(BASE_META)
    add(base)
    # Key spellings: Go matches a struct field's name case-insensitively (Unicode simple folding:
    # U+017F is s, U+212A is k), map keys exactly.
    for a, b in [("Name", "name"), ("Name", "NAME"), ("Name", "nAme"), ("Endpoints", "endpoints"),
                 ("Endpoints", "ENDPOINTS"), ("Endpoints", "Endpoint"), ("Host", "host"),
                 ("Host", "HOST"), ("Host", "Ho\u017ft"), ("Host", "Hos"), ("SkipTLSVerify",
                 "skiptlsverify"), ("SkipTLSVerify", "\u017fkipTLSVerify"), ("SkipTLSVerify",
                 "S\u212aipTLSVerify"), ("docker", "Docker"), ("docker", "DOCKER"),
                 ("Endpoints", "Endpoint\u017f"), ("Name", "N\u0061me"), ("Host", "Ho\u0073t")]:
        add(base.replace('"%s"' % a, '"%s"' % b, 1))
    skip = dumps({"Name": "ctx", "Endpoints": {"docker": {"Host": "tcp://10.0.0.9:2376",
                                                          "SkipTLSVerify": True}}})
    add(skip)
    add(skip.replace("SkipTLSVerify", "skipTLSverify"))
    add(skip.replace("SkipTLSVerify", "\u017fkipTLSVerify"))
    # Duplicates: the last one counts; null leaves a field as it was.
    for extra in ['"Host":"tcp://g:2"', '"host":"tcp://g:2"', '"Host":null', '"Host":""',
                  '"SkipTLSVerify":true', '"SkipTLSVerify":null', '"skiptlsverify":true',
                  '"Host":5', '"Host":["x"]', '"SkipTLSVerify":"true"', '"SkipTLSVerify":1',
                  '"Extra":1e999', '"Extra":[[[[[]]]]]', '"Host":"tcp://g:2","Host":null']:
        add('{"Name":"ctx","Endpoints":{"docker":{"Host":"tcp://h:1","SkipTLSVerify":false,%s}}}'
            % extra)
        add('{"Name":"ctx","Endpoints":{"docker":{%s,"Host":"tcp://h:1"}}}' % extra)
    for name in ['"ctx"', 'null', '"other"', '"CTX"', '5', '""', '"ctx","Name":"x"',
                 '"x","Name":"ctx"', '"ctx","name":"x"', '"ctx","name":null', '["ctx"]',
                 '"c\\u0074x"', '"ctx\\u0000"', '"\\ud800"', '"ctx\\ud800"']:
        add('{"Name":%s,"Endpoints":{"docker":{"Host":"tcp://h:1"}}}' % name)
    for endpoints in ['null', '{}', '[]', '5', '"x"', '{"docker":null}', '{"docker":{}}',
                      '{"docker":[]}', '{"docker":5}', '{"docker":"tcp://h:1"}',
                      '{"docker":{"Host":"tcp://h:1"},"docker":{"Host":"tcp://g:2"}}',
                      '{"docker":{"Host":"tcp://h:1"},"docker":null}',
                      '{"docker":{"Host":"tcp://h:1"},"kubernetes":{"x":1}}',
                      '{"docker":{"Host":"tcp://h:1"},"kubernetes":5}',
                      '{"docker":{"Host":"tcp://h:1"},"kubernetes":null}',
                      '{"docker":{"Host":"tcp://h:1"},"x":[]}',
                      '{"docker":{"Host":"tcp://h:1"},"x":{"y":1e999}}',
                      '{"docker":{"Host":"tcp://h:1"},"x":{"y":123456789012345678901234567890}}',
                      '{"docker":{"Host":"tcp://h:1"},"":{}}',
                      '{"Docker":{"Host":"tcp://h:1"}}']:
        add('{"Name":"ctx","Endpoints":%s}' % endpoints)
        add('{"Endpoints":%s,"Name":"ctx"}' % endpoints)
    for metadata in ['{}', 'null', '5', '"x"', '[]', '{"Description":"d"}', '{"Description":5}',
                     '{"Description":null}', '{"description":5}', '{"x":1e999}', '{"x":[1,{}]}',
                     '{"x":123456789012345678901234567890}', '{"StackOrchestrator":"swarm"}']:
        add('{"Name":"ctx","Metadata":%s,"Endpoints":{"docker":{"Host":"tcp://h:1"}}}'
            % metadata)
    for whole in ['null', '{}', '[]', '5', '"x"', 'true', '', ' ', '{', '{"Name":"ctx"',
                  '{"Name":"ctx"}', base + ' x', base + '\n', base + ' {}', base + base,
                  ' \t\n' + base, '\ufeff' + base, base.replace(':', ' : '),
                  base.replace('"Name"', '"Name" ')]:
        add(whole)
    # Encodings: bytes that are not UTF-8, escapes, unusual numbers, deep nesting.
    for t in [base.replace('10.20.30.40', '10.20.30.\udcff'),
              base.replace('"ctx"', '"ctx\udcff"'),
              base.replace('Metadata":{}', 'Metadata":{"x":"\udcff"}'),
              base.replace('"Host"', '"H\\u006fst"'),
              base.replace('tcp://', 'tcp:\\/\\/'),
              base.replace('{}', '{"x":' + '[' * 100 + ']' * 100 + '}'),
              base.replace('{}', '{"x":' + '[' * 200 + ']' * 200 + '}'),
              base.replace('{}', '{"x":' + '[' * 1000 + ']' * 1000 + '}'),
              base.replace('false', 'false ', 1),
              base.replace('false', 'False', 1),
              base.replace('false', '0', 1),
              base.replace('false', 'null', 1),
              ]:
        add(t)
    # Hosts: what a context may store (the URL cases, as the CLI stores them verbatim).
    for host in rng.sample(urls, 150) + ["", "tcp://h", "tcp://h:1", "unix:///x", "unix://",
                                          "ssh://u@h", "npipe:////./pipe/x", "h:1", "tcp://h:1/p",
                                          "tcp://[::1]", "tcp://[::1]:2376", "tcp://:1"]:
        add(dumps({"Name": "ctx", "Endpoints": {"docker": {"Host": host}}}))
    # Names: the folder is the SHA-256 of the name as given.
    for name in ["a", "default", "with space", "\u00e9", "x/y", "..", "ctx\t", "UPPER"]:
        add(dumps({"Name": name, "Endpoints": {"docker": {"Host": "tcp://h:1"}}}), name)
    # Random mutations of the base file: a byte flipped, cut, or a piece repeated.
    for _ in range(120):
        t = list(rng.choice([base, skip]))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(t))
            op = rng.randrange(4)
            if op == 0:
                t[i] = rng.choice('{}[]":,\\ 0nul' + "tfrse" + "\u017f\u212a")
            elif op == 1:
                del t[i:]
                if not t:
                    t = ["{"]
            elif op == 2:
                j = min(len(t), i + rng.randint(1, 12))
                t[i:i] = t[i:j]
            else:
                t[i] = t[i].swapcase()
        add("".join(t))
    seen, out = set(), []
    for name, t in texts:
        if (name, t) not in seen:
            seen.add((name, t))
            out.append((name, t))
    return out


def record_meta(name, text):
    with tempfile.TemporaryDirectory(prefix="statscope-golden-") as cfg:
        d = os.path.join(cfg, "contexts", "meta", digest(name))
        os.makedirs(d)
        with open(os.path.join(d, "meta.json"), "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
        code, out, err = run_cli(["--context", name, "context", "inspect"], cfg)
        if code != 0:
            return {"error": first_line(err, cfg)}
        v = json.loads(out)[0]
        r = {"name": v.get("Name", "")}
        endpoints = v.get("Endpoints") or {}
        if "docker" in endpoints:
            dk = endpoints["docker"]
            r["docker"] = None if dk is None else {"host": dk.get("Host", ""),
                                                   "skip": dk.get("SkipTLSVerify", False)}
        return r


# ------------------------------------------------------------------------------------------------
# config.json.

def config_cases(rng):
    cases = ['{"currentContext":"ctx"}', '{"currentContext":"other"}', '{}', '', ' ', 'null',
             '[]', '5', '{"currentContext":""}', '{"currentContext":null}',
             '{"currentContext":5}', '{"currentContext":"default"}', '{"currentContext":"missing"}',
             '{"CurrentContext":"ctx"}', '{"currentcontext":"ctx"}', '{"CURRENTCONTEXT":"ctx"}',
             '{"currentContext":"ctx","currentContext":"other"}',
             '{"currentContext":"ctx","CurrentContext":"other"}',
             '{"currentContext":"ctx","currentContext":null}',
             '{"currentContext":"ctx","currentContext":""}',
             '{"currentContext":"ctx"} x', '{"currentContext":"ctx"} {}',
             '{"currentContext":"ctx"}\n', '{"currentContext":"ctx"', '{"currentContext":"ct',
             '\ufeff{"currentContext":"ctx"}', '{"currentContext":"c\\u0074x"}',
             '{"currentContext":"ctx\\ud800"}', '{"currentContext":"ctx\udcff"}',
             '{"currentContext":"CTX"}', '{"currentContext":" ctx"}',
             '{"auths":{},"currentContext":"ctx"}', '{"auths":{},"currentContext":"other"}',
             '{"x":1e999,"currentContext":"ctx"}', '{"x":[[[[]]]],"currentContext":"ctx"}',
             '{"currentContext":["ctx"]}', '{"currentContext":{"a":1}}',
             '{"currentContext":true}', '{"currentContext":"ctx","x":',
             '{"currentContext":"' + 'a' * 300 + '"}']
    base = '{"auths":{},"currentContext":"ctx"}'
    for _ in range(60):
        t = list(base)
        for _ in range(rng.randint(1, 2)):
            if not t:
                break
            i = rng.randrange(len(t))
            op = rng.randrange(3)
            if op == 0:
                t[i] = rng.choice('{}[]":,\\ 0nul')
            elif op == 1:
                del t[i:]
            else:
                t[i] = t[i].swapcase()
        cases.append("".join(t))
    return sorted(set(cases))


def record_config(text):
    with tempfile.TemporaryDirectory(prefix="statscope-golden-") as cfg:
        for name, host in [("ctx", "tcp://10.1.1.1:1"), ("other", "tcp://10.2.2.2:2")]:
            d = os.path.join(cfg, "contexts", "meta", digest(name))
            os.makedirs(d)
            with open(os.path.join(d, "meta.json"), "w") as f:
                json.dump({"Name": name, "Endpoints": {"docker": {"Host": host}}}, f)
        with open(os.path.join(cfg, "config.json"), "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
        code, out, err = run_cli(["context", "inspect"], cfg)
        if code != 0:
            return {"error": first_line(err, cfg)}
        r = {"context": json.loads(out)[0]["Name"]}
        if err.strip():
            r["warning"] = first_line(err, cfg)
        return r


# ------------------------------------------------------------------------------------------------

def text_field(key, text):
    try:
        text.encode("utf-8")
        return {key: text}
    except UnicodeEncodeError:
        return {key + "_hex": text.encode("utf-8", "surrogateescape").hex()}


def main():
    check = "--check" in sys.argv[1:]
    rng = random.Random(SEED)
    urls = url_cases(rng)
    files = {
        "docker-host.jsonl": [dict(url=u, cli=record_url(u)) for u in urls],
        "context-meta.jsonl": [dict(name=n, **text_field("meta", t), cli=record_meta(n, t))
                               for n, t in meta_cases(rng, urls)],
        "config-json.jsonl": [dict(**text_field("config", t), cli=record_config(t))
                              for t in config_cases(rng)],
    }
    version = subprocess.run([DOCKER, "--version"], capture_output=True, text=True).stdout
    rendered = {name: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
                for name, rows in files.items()}
    rendered["docker-version.txt"] = version
    if check:
        bad = [n for n, t in rendered.items()
               if open(os.path.join(OUT, n), encoding="utf-8").read() != t]
        if bad:
            sys.exit("record-endpoint-goldens: the installed CLI now differs in %s" % bad)
        print("record-endpoint-goldens: the committed goldens are the installed CLI's", file=sys.stderr)
        return
    os.makedirs(OUT, exist_ok=True)
    for name, text in rendered.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            f.write(text)
    counts = ", ".join("%d %s" % (len(rows), n) for n, rows in files.items())
    print("record-endpoint-goldens: wrote %s (%s; %s)" % (OUT, counts, version.strip()),
          file=sys.stderr)


if __name__ == "__main__":
    main()
