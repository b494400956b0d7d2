#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""mutate.py - mutation testing of the models: does a clean run notice?

Each mutant is one plausible mistake in the protocol code of lib/mm and
lib/core -- a put or a get dropped, a put moved before the use it
protects or into the lock it followed, a get moved past the unlock of the
lookup that found the object, a free that skips its grace period, a
recheck or bail-out dropped, two lock acquisitions swapped, an
inc-not-zero made a plain increment.  It is applied to a copy of the tree
(build/mutate/src), the CLI is rebuilt there, and the clean jobs of
configs/mutate.ini run against it, one at a time, until one fails.

  killed     a job did not PASS: a detector fired, the job crashed, hung
             or could not reach its steps (INCONCLUSIVE)
  survived   every job passed: the mutation went unseen
  stillborn  the mutant does not build: not scored

The score is killed / (killed + survived).  Survivors are listed with the
file, line, operator and mutated line; they are where detection is
missing, or mutants that change nothing observable (an equivalent
mutant: say so when you report them).

Lines that name the bug registry (mt_bug(), MT_BUG_) are never mutated:
they choose the catalogue's code paths, which the selftest covers.  Nor
are the detectors (files that report: *_audit.c, access.h, and the
checks of lib/core): mutating a detector weakens the tester, which a
clean run cannot see by construction.

  tools/mutate.py [--list] [--files GLOB,...] [--ops OP,...] [--max N]
                  [--seed N] [--jobs FILE]

Environment: MAKE (default make), CC (default cc).
"""

import argparse
import fnmatch
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The files mutated: the protocol code.  Detector files are left alone.
SOURCES = [
    "lib/mm/anon_vma.c", "lib/mm/fork.c", "lib/mm/ksm.c", "lib/mm/memory.c",
    "lib/mm/mempolicy.c", "lib/mm/migrate.c", "lib/mm/mm.c", "lib/mm/page_alloc.c",
    "lib/mm/rmap.c", "lib/mm/shared_policy.c", "lib/mm/shmem.c", "lib/mm/vma.c",
    "lib/mm/vmscan.c", "lib/mm/mempolicy.h", "lib/mm/rmap.h", "lib/mm/anon_vma.h",
    "lib/core/refcount.c", "lib/core/slab.c",
]

PUT = r"(mpol_put|__mpol_put|mpol_cond_put|put_vma|fput|put_page|drop_anon_vma|mmput|" \
      r"put_task_struct|shmem_put|ksm_drop_anon_vma|ksm_drop_ref|putback_lru_page|" \
      r"refcount_dec|mpol_free_shared_policy)"
GET = r"(mpol_get|get_file|get_page|get_anon_vma|shmem_get|mmget|get_task_struct|" \
      r"hold_anon_vma|refcount_inc|__refcount_inc_zero_live)"
LOCK = r"(spin_lock|down_read|down_write|anon_vma_lock|rcu_read_lock|task_lock|" \
       r"pthread_mutex_lock)"
UNLOCK = r"(spin_unlock|up_read|up_write|anon_vma_unlock|rcu_read_unlock|task_unlock|" \
         r"page_unlock_anon_vma|pthread_mutex_unlock)"

STMT_PUT = re.compile(r"^\s*(?:\w+\s*=\s*)?" + PUT + r"\s*\(.*\);\s*(/\*.*\*/)?\s*$")
STMT_GET = re.compile(r"^\s*" + GET + r"\s*\(.*\);\s*(/\*.*\*/)?\s*$")
STMT_LOCK = re.compile(r"^\s*(?:\w+\s*=\s*)?" + LOCK + r"\s*\(.*\);\s*(/\*.*\*/)?\s*$")
STMT_UNLOCK = re.compile(r"^\s*" + UNLOCK + r"\s*\(.*\);\s*(/\*.*\*/)?\s*$")
CALL_RCU = re.compile(r"^(\s*)call_rcu\(&([^,]+),\s*(\w+)\);")
INC_NOT_ZERO = re.compile(r"refcount_inc_not_zero(_acquire)?\(([^()]*)\)")
BAILOUT = re.compile(r"^\s*(return\b|goto\b|continue;|break;)")
IF_LINE = re.compile(r"^(\s*)(if|else if) \((.*)\)( \{)?\s*$")
# the conditions of a recheck: the state a lookup must find again after its
# lock, its reference or its read side (not an allocation's NULL, and not a
# detector's own check, obj_access(): dropping that weakens the tester)
RECHECK = re.compile(r"page_mapped|vm_detached|vm_read_retry|seq\b|get_vma\(|inc_not_zero|"
                     r"unless_zero|_empty\(|exiting|->root|root\b|"
                     r"mapping|_cond_ref|trylock|pte\[|dec_and_test|dec_and_lock|"
                     r"vm_start|vm_end|owner_gone|nr_items|last_root_user|root_empty|empty\b")
REGISTRY = re.compile(r"mt_bug\(|MT_BUG_|mt_bugs_enabled")
SIMPLE_STMT = re.compile(r"^\s*[^{}#/*\s][^{}]*;\s*(/\*.*\*/)?\s*$")


class Mutant:
    def __init__(self, path, line, op, new_lines, desc):
        self.path, self.line, self.op, self.new_lines, self.desc = path, line, op, new_lines, desc

    def name(self):
        return "%s:%d %s" % (self.path, self.line + 1, self.op)


def is_code(line):
    s = line.strip()
    return s and not s.startswith(("/*", "*", "//", "#"))


def function_spans(lines):
    """(start, end) line ranges of function bodies: a '{' in column 0 to '}'."""
    spans, start = [], None
    for i, l in enumerate(lines):
        if l.startswith("{"):
            start = i
        elif l.startswith("}") and start is not None:
            spans.append((start, i))
            start = None
    return spans


def in_function(spans, i):
    for s, e in spans:
        if s < i < e:
            return (s, e)
    return None


# statements that are not uses: moving a put across them changes nothing
NOT_A_USE = re.compile(r"^\s*(race_window|coverage_point|lockdep_assert\w*|mt_count)\(|"
                       r"^\s*(const\s+)?(struct\s+\w+|unsigned(\s+long|\s+int)?|int|long|bool|char|"
                       r"uint\d+_t|size_t|enum\s+\w+)[\s\*]+\w+(\[\w*\])?(\s*,\s*\**\w+)*\s*;")


def prev_stmt(lines, i, lo):
    """The statement line before i in the same block (a simple one), or None."""
    j = i - 1
    while j > lo and (not is_code(lines[j]) or NOT_A_USE.match(lines[j])):
        j -= 1
    if j > lo and SIMPLE_STMT.match(lines[j]) and not REGISTRY.search(lines[j]) and \
       lines[j].count("\t") == lines[i].count("\t") and not BAILOUT.match(lines[j]):
        return j
    return None


def next_stmt(lines, i, hi):
    j = i + 1
    while j < hi and (not is_code(lines[j]) or NOT_A_USE.match(lines[j])):
        j += 1
    if j < hi and SIMPLE_STMT.match(lines[j]) and not REGISTRY.search(lines[j]) and \
       lines[j].count("\t") == lines[i].count("\t") and not BAILOUT.match(lines[j]):
        return j
    return None


def find_forward(lines, i, hi, pattern, limit=6):
    """The first line matching @pattern after i, at i's indent, over simple statements only."""
    ind = len(lines[i]) - len(lines[i].lstrip("\t"))
    j, seen = i + 1, 0
    while j < hi and seen < limit:
        l = lines[j]
        if is_code(l):
            if len(l) - len(l.lstrip("\t")) != ind or REGISTRY.search(l):
                return None
            if pattern.match(l):
                return j
            if not SIMPLE_STMT.match(l) or BAILOUT.match(l):
                return None
            seen += 1
        j += 1
    return None


def moved(lines, src, dst):
    """@lines with line @src moved to just after line @dst (or just before, dst < src)."""
    out = list(lines)
    l = out.pop(src)
    out.insert(dst if dst < src else dst, l)
    return out


def swapped(lines, a, b):
    out = list(lines)
    out[a], out[b] = out[b], out[a]
    return out


FUNC_NAME = re.compile(r"^(?:static\s+)?(?:inline\s+)?[\w\s\*]*?\b(\w+)\s*\(")


def bug_only_spans(lines, spans):
    """Function bodies called only from statements a bug switch chooses (a
    catalogue's broken path, e.g. ksm_drop_anon_vma_unlocked()): a clean run
    never enters them, so mutating them tells nothing."""
    out = []
    for s, e in spans:
        m = FUNC_NAME.match(lines[s - 1]) if s > 0 else None
        if not m:
            continue
        name = m.group(1)
        calls = [i for i, l in enumerate(lines)
                 if re.search(r"\b%s\s*\(" % name, l) and not (s - 1 <= i <= e) and is_code(l)]
        if calls and all(REGISTRY.search(lines[i]) or (i > 0 and REGISTRY.search(lines[i - 1]))
                         for i in calls):
            out.append((s, e))
    return out


def switch_blocks(lines):
    """Lines inside a { block } opened on a line that names a bug switch."""
    inside, depth, stack = set(), 0, []
    for i, l in enumerate(lines):
        for ch in l:
            if ch == "{":
                depth += 1
                if REGISTRY.search(l) or (stack and stack[-1] < depth):
                    stack.append(depth)
            elif ch == "}":
                if stack and stack[-1] == depth:
                    stack.pop()
                depth -= 1
        if stack:
            inside.add(i)
    return inside


def mutants_of(path, lines):
    spans = function_spans(lines)
    skip = bug_only_spans(lines, spans)
    in_switch = switch_blocks(lines)
    out = []
    for i, l in enumerate(lines):
        f = in_function(spans, i)
        if not f or not is_code(l) or REGISTRY.search(l) or f in skip or i in in_switch:
            continue
        lo, hi = f
        # the statement before is a switch: changing this line changes a bug path
        if i > 0 and REGISTRY.search(lines[i - 1]):
            continue
        if STMT_PUT.match(l):
            out.append(Mutant(path, i, "drop-put", lines[:i] + lines[i + 1:], l.strip()))
            j = prev_stmt(lines, i, lo)
            if j is not None and STMT_UNLOCK.match(lines[j]):
                out.append(Mutant(path, i, "put-before-unlock", swapped(lines, i, j), l.strip()))
            elif j is not None and not STMT_PUT.match(lines[j]) and not STMT_LOCK.match(lines[j]):
                out.append(Mutant(path, i, "put-before-use", swapped(lines, i, j), l.strip()))
            k = next_stmt(lines, i, hi)
            if k is not None and STMT_UNLOCK.match(lines[k]):
                out.append(Mutant(path, i, "put-after-unlock", swapped(lines, i, k), l.strip()))
        elif STMT_GET.match(l):
            out.append(Mutant(path, i, "drop-get", lines[:i] + lines[i + 1:], l.strip()))
            k = find_forward(lines, i, hi, STMT_UNLOCK)
            if k is not None:
                out.append(Mutant(path, i, "get-after-unlock", moved(lines, i, k), l.strip()))
        elif STMT_LOCK.match(l):
            k = next_stmt(lines, i, hi)
            if k is not None and STMT_LOCK.match(lines[k]):
                out.append(Mutant(path, i, "swap-lock-order", swapped(lines, i, k), l.strip()))
        m = CALL_RCU.match(l)
        if m:
            new = lines[:i] + ["%s%s(&%s);\n" % (m.group(1), m.group(3), m.group(2))] + lines[i + 1:]
            out.append(Mutant(path, i, "free-no-grace-period", new, l.strip()))
        if INC_NOT_ZERO.search(l) and "#define" not in l:
            new = lines[:i] + [INC_NOT_ZERO.sub(r"(__refcount_add(1, \2, __func__), true)", l)] + lines[i + 1:]
            out.append(Mutant(path, i, "inc-not-zero-plain", new, l.strip()))
        m = IF_LINE.match(l)
        if m and "mt_bug" not in m.group(3) and RECHECK.search(m.group(3)) and \
           "obj_access" not in m.group(3):
            # a bail-out: the statement under the if leaves (return, goto...)
            k = i + 1
            if k < hi and BAILOUT.match(lines[k]) or (m.group(4) and k + 1 < hi and
                                                      any(BAILOUT.match(x) for x in lines[k:k + 3])):
                new = lines[:i] + ["%s%s (0 && (%s))%s\n" % (m.group(1), m.group(2), m.group(3),
                                                           m.group(4) or "")] + lines[i + 1:]
                out.append(Mutant(path, i, "drop-recheck", new, l.strip()))
    return out


def sh(cmd, cwd, timeout=None, log=None):
    try:
        r = subprocess.run(cmd, cwd=cwd, shell=True, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if log is not None:
            log.write(r.stdout.decode(errors="replace"))
        return r.returncode
    except subprocess.TimeoutExpired:
        return -1


def job_files(jobs_path, workdir):
    """Split the job file in one file per job, [global] copied into each."""
    text = open(jobs_path).read().splitlines(True)
    glob, jobs, cur = [], [], None
    for l in text:
        m = re.match(r"^\[(.+)\]\s*$", l)
        if m:
            cur = [] if m.group(1) != "global" else None
            if cur is not None:
                jobs.append((m.group(1), cur))
                cur.append(l)
            continue
        (glob if cur is None else cur).append(l)
    files = []
    for name, body in jobs:
        p = os.path.join(workdir, "job-%s.ini" % name)
        with open(p, "w") as f:
            f.write("[global]\n" + "".join(x for x in glob if not x.startswith("[")) + "".join(body))
        files.append((name, p))
    return files


def main():
    ap = argparse.ArgumentParser(description="mutation testing of lib/mm and lib/core")
    ap.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    ap.add_argument("--files", default="", help="comma list of globs of the files to mutate")
    ap.add_argument("--ops", default="", help="comma list of operators")
    ap.add_argument("--max", type=int, default=0, help="at most N mutants (a seeded sample)")
    ap.add_argument("--seed", type=int, default=1, help="the sample's seed")
    ap.add_argument("--jobs", default="configs/mutate.ini", help="the clean job file")
    a = ap.parse_args()

    os.chdir(ROOT)
    files = [f for f in SOURCES if not a.files or
             any(fnmatch.fnmatch(f, g) for g in a.files.split(","))]
    muts, originals = [], {}
    for f in files:
        originals[f] = open(f).read()	# the tree as it was: edits meanwhile do not leak in
        muts += mutants_of(f, originals[f].splitlines(True))
    if a.ops:
        muts = [m for m in muts if m.op in a.ops.split(",")]
    if a.max and len(muts) > a.max:
        random.Random(a.seed).shuffle(muts)
        muts = sorted(muts[:a.max], key=lambda m: (m.path, m.line))
    if a.list:
        for m in muts:
            print("%-44s %s" % (m.name(), m.desc))
        print("%d mutants" % len(muts))
        return 0

    make = os.environ.get("MAKE", "make")
    cc = os.environ.get("CC", "cc")
    work = os.path.join(ROOT, "build", "mutate")
    src = os.path.join(work, "src")
    os.makedirs(work, exist_ok=True)
    tracked = subprocess.run(["git", "ls-files"], stdout=subprocess.PIPE, check=True).stdout.decode().split()
    for f in tracked:
        d = os.path.join(src, f)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if not os.path.exists(d) or open(f, "rb").read() != open(d, "rb").read():
            shutil.copy2(f, d)
    cli = "build/%s/bin/mmtorture" % os.path.basename(cc)
    # warnings are no errors here: a variable a mutant left unused is no defect
    buildcmd = "%s -s CC=%s WARNFLAGS=-w %s" % (make, cc, cli)
    log = open(os.path.join(work, "mutate.log"), "w")
    if sh(buildcmd, src, log=log):
        print("mutate: the unmutated tree does not build in %s (see %s)" % (src, log.name))
        return 3
    jobs = job_files(a.jobs, work)
    for name, p in jobs:	# the unmutated tree must pass, or nothing can be judged
        if sh("%s run --quiet --no-results %s" % (cli, p), src, timeout=120, log=log):
            print("mutate: job %s fails on the unmutated tree (see %s)" % (name, log.name))
            return 3

    killed, survived, stillborn = [], [], []
    t0 = time.time()
    print("mutate: %d mutants of %d files, %d clean jobs each (%s)" %
          (len(muts), len(files), len(jobs), a.jobs))
    for n, m in enumerate(muts, 1):
        dst = os.path.join(src, m.path)
        orig = originals[m.path]
        with open(dst, "w") as f:
            f.write("".join(m.new_lines))
        log.write("\n==== %s: %s\n" % (m.name(), m.desc))
        verdict = "survived"
        if sh(buildcmd, src, timeout=600, log=log):
            verdict = "stillborn"
        else:
            for name, p in jobs:
                rc = sh("%s run --quiet --no-results %s" % (cli, p), src, timeout=120, log=log)
                if rc:
                    verdict = "killed by %s%s" % (name, " (timeout)" if rc < 0 else "")
                    break
        with open(dst, "w") as f:
            f.write(orig)
        os.utime(dst, None)
        (killed if verdict.startswith("killed") else
         stillborn if verdict == "stillborn" else survived).append((m, verdict))
        print("[%3d/%d] %-52s %s" % (n, len(muts), m.name(), verdict), flush=True)
    sh(buildcmd, src, log=log)	# leave the copy built as unmutated

    scored = len(killed) + len(survived)
    print("\nmutate: %d killed, %d survived, %d stillborn (not scored) in %.0f s" %
          (len(killed), len(survived), len(stillborn), time.time() - t0))
    if scored:
        print("mutate: score %d/%d = %.1f%%" % (len(killed), scored, 100.0 * len(killed) / scored))
    if survived:
        print("survivors:")
        for m, _ in survived:
            print("  %-50s %s" % (m.name(), m.desc))
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
