#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The documentation checks of make check (also alone: make check-docs).

    tools/check-docs.py          from anywhere; exit 0 = all passed

1. Links: every relative link and image in README.md, docs/*.md and
   selftests/README.md points at a file of the tree, and its #anchor, if
   any, at a heading of that file (GitHub's rule: lowercase, spaces to
   '-', punctuation other than '-' and '_' dropped, '-1', '-2' for
   repeats).  Links inside code spans, code blocks and HTML comments are
   not links; http(s) and mailto links are not followed.
2. The man page and the plugin agree: every option that
   "ip link help stt" (the system ip with tools/iproute2/link_stt.so)
   prints has an entry under the OPTIONS of man/ip-link-stt.8, every entry
   there is printed by help, and help points to ip-link-stt(8).  groff
   formats the page without a warning.

Prints one line per failure and ends with "check-docs: N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAN = os.path.join("man", "ip-link-stt.8")

passed = 0
failed = 0


def ok():
    global passed
    passed += 1


def fail(msg):
    global failed
    failed += 1
    print("check-docs: FAIL: " + msg)


# --- 1. links ---------------------------------------------------------

def strip_code(text):
    """Blank out fenced code blocks, HTML comments and code spans, keeping
    line numbers."""
    out = []
    fence = None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append("")
            continue
        if m:
            fence = m.group(1)
            out.append("")
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)


def slug(heading):
    h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url)
    h = h.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen = {}
        found = set()
        text = strip_code_fences_only(open(path, encoding="utf-8").read())
        for line in text.split("\n"):
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            found.add(s if n == 0 else "%s-%d" % (s, n))
        _anchors[path] = found
    return _anchors[path]


def strip_code_fences_only(text):
    out = []
    fence = None
    for line in text.split("\n"):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence:
            if m and m.group(1)[0] == fence[0]:
                fence = None
            out.append("")
            continue
        if m:
            fence = m.group(1)
            out.append("")
            continue
        out.append(line)
    return "\n".join(out)


LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def check_links(md):
    path = os.path.join(ROOT, md)
    text = strip_code(open(path, encoding="utf-8").read())
    for lineno, line in enumerate(text.split("\n"), 1):
        for m in LINK.finditer(line):
            target = m.group(1)
            where = "%s:%d: %s" % (md, lineno, target)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue        # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            if file_part:
                dest = os.path.normpath(os.path.join(os.path.dirname(path),
                                                     file_part))
                if not dest.startswith(ROOT + os.sep) and dest != ROOT:
                    fail(where + ": outside the tree")
                    continue
                if not os.path.exists(dest):
                    fail(where + ": no such file")
                    continue
            else:
                dest = path
            if anchor:
                if not dest.endswith(".md") or os.path.isdir(dest):
                    fail(where + ": an anchor into a file that is not markdown")
                    continue
                if anchor not in anchors(dest):
                    fail(where + ": no heading #%s in %s" %
                         (anchor, os.path.relpath(dest, ROOT)))
                    continue
            ok()


# --- 2. man page against the plugin's help ----------------------------

def help_text():
    ip = shutil.which("ip") or "/usr/sbin/ip"
    plugdir = os.path.join(ROOT, "tools", "iproute2")
    r = subprocess.run(["make", "-s", "-C", plugdir], stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        return None, "make -C tools/iproute2 failed"
    env = dict(os.environ, IP_LIB_DIR=plugdir)
    try:
        r = subprocess.run([ip, "link", "help", "stt"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    except OSError as e:
        return None, "%s: %s" % (ip, e)
    if "Usage: ... stt" not in r.stdout:
        return None, "ip link help stt printed no stt usage:\n" + r.stdout
    return r.stdout, None


def help_options(text):
    """Option keywords of the usage lines: the first word of each
    [ ... ] group, and of each alternative of the top-level { a | b }."""
    opts = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            if opts:
                break
            continue
        line = re.sub(r"^Usage: \.\.\. stt\s*", "", line)
        if not line or line[0] not in "[{":
            continue
        inner = line[1:-1].strip()
        if line[0] == "{":
            alts = [a.strip() for a in inner.split("|")]
        else:
            alts = [inner]
        for a in alts:
            opts.append(a.split()[0])
    return opts


def man_options(path):
    """First word of each .TP entry in the OPTIONS section."""
    opts = []
    section = None
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
            continue
        if section != "OPTIONS" or line.strip() != ".TP" or i + 1 >= len(lines):
            continue
        tag = re.sub(r"^\.[A-Z]{1,2}\s+", "", lines[i + 1])
        word = tag.split()[0].strip('"').replace("\\-", "-")
        opts.append(word)
    return opts


def check_man():
    path = os.path.join(ROOT, MAN)
    if not os.path.exists(path):
        fail(MAN + ": missing")
        return
    text, err = help_text()
    if err:
        fail(err)
        return
    if "ip-link-stt(8)" in text:
        ok()
    else:
        fail("ip link help stt does not point to ip-link-stt(8)")
    helped = help_options(text)
    documented = man_options(path)
    if not helped:
        fail("no options found in ip link help stt")
    if not documented:
        fail("no .TP entries under OPTIONS in " + MAN)
    for o in helped:
        if o in documented:
            ok()
        else:
            fail("'%s' is in ip link help stt but not under OPTIONS in %s"
                 % (o, MAN))
    for o in documented:
        if o in helped:
            ok()
        else:
            fail("'%s' is under OPTIONS in %s but not in ip link help stt"
                 % (o, MAN))
    groff = shutil.which("groff")
    if groff:
        r = subprocess.run([groff, "-man", "-ww", "-z", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode == 0 and not r.stdout.strip():
            ok()
        else:
            fail("groff -man -ww: " + r.stdout.strip())


def main():
    docs = ["README.md", os.path.join("selftests", "README.md")]
    docs += sorted(os.path.join("docs", f)
                   for f in os.listdir(os.path.join(ROOT, "docs"))
                   if f.endswith(".md"))
    for md in docs:
        check_links(md)
    check_man()
    print("check-docs: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
