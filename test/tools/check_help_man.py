#!/usr/bin/env python3
"""check_help_man.py HELP MANPAGE: `acc --help` and acc(1) agree.

The options are those that HELP lists under "options:" and those that the
man page's OPTIONS section names in its .TP tags; the two sets must be
equal. Both must also name the three forms of the command (acc, acc run,
acc cc). Prints what differs and exits 1, else exits 0.
"""
import re
import sys

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z-]*=?)")


def help_options(text):
    opts, inside = set(), False
    for line in text.splitlines():
        if line.strip() == "options:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            # the option column only, not the explanation after it
            head = re.split(r"\s{2,}", line.strip())[0]
            opts.update(OPTION.findall(head))
    return opts


def roff_text(line):
    line = re.sub(r"^\.[A-Z]{1,2}\s*", "", line)          # .B, .BI, .RB ...
    line = re.sub(r"\\f[BIRP]|\\f\(..|\\&", "", line)      # font changes
    return line.replace("\\-", "-").replace('"', " ")


def man_sections(text):
    sections, name = {}, None
    for line in text.splitlines():
        if line.startswith(".SH "):
            name = line[4:].strip().strip('"')
            sections[name] = []
        elif name:
            sections[name].append(line)
    return sections


def man_options(lines):
    opts = set()
    for i, line in enumerate(lines):
        if line.startswith(".TP") and i + 1 < len(lines):
            # the tag's first word is the option; the rest is its argument
            words = roff_text(lines[i + 1]).split()
            if words:
                opts.update(OPTION.findall(words[0]))
    return opts


def main():
    help_text = open(sys.argv[1]).read()
    man = open(sys.argv[2]).read()
    sections = man_sections(man)
    ok = True
    for need in ("OPTIONS", "SYNOPSIS", "ACC RUN", "ACC CC", "EXAMPLES"):
        if need not in sections:
            print("acc.1: no %s section" % need)
            ok = False
    h = help_options(help_text)
    m = man_options(sections.get("OPTIONS", []))
    if not h:
        print("--help: no options found")
        ok = False
    for opt in sorted(h - m):
        print("%s is in acc --help but not in acc(1)" % opt)
        ok = False
    for opt in sorted(m - h):
        print("%s is in acc(1) but not in acc --help" % opt)
        ok = False
    synopsis = roff_text("\n".join(sections.get("SYNOPSIS", [])))
    for form in ("run", "cc"):
        if not re.search(r"usage:.*\bacc %s\b|^\s+acc %s\b" % (form, form), help_text, re.M):
            print("acc --help does not show `acc %s`" % form)
            ok = False
        if not re.search(r"\bacc %s\b" % form, synopsis):
            print("acc(1)'s SYNOPSIS does not show `acc %s`" % form)
            ok = False
    if ok:
        print("acc --help and acc(1) agree: %s" % " ".join(sorted(h)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
