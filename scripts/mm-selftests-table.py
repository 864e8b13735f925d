#!/usr/bin/env python3
"""Write debug/mm-selftests/table.md from the result files of
scripts/run-mm-selftests.sh (debug/mm-selftests/BASE-KIND.txt): one row a
run, one column a kernel (unpatched and patched 7.3.4 and 6.12.117), and
for each patched kernel whether it adds a failure. A run that does not
pass on a patched kernel and does the same on its unpatched base is the
base's; anything else is the series' ("ADDED").

usage: scripts/mm-selftests-table.py [DIR]   (default: debug/mm-selftests)
Exit status 1 if a patched kernel adds a failure, 2 if a file is missing.
"""
import os
import sys

KERNELS = [('7.3', 'base'), ('7.3', 'patched'), ('6.12', 'base'), ('6.12', 'patched')]


def load(path):
    head, rows = [], {}
    # files written before run-mm-selftests.sh dropped the serial port's
    # carriage returns have one before the last field
    for line in open(path, newline='\n'):
        line = line.rstrip('\n').replace('\r', '')
        if line.startswith('#'):
            head.append(line[1:].strip())
            continue
        f = line.split('\t')
        if len(f) >= 2:
            rows[f[0]] = (f[1], f[2] if len(f) > 2 else '', f[3] if len(f) > 3 else '')
    return head, rows


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'debug', 'mm-selftests')
    data, missing = {}, []
    for b, k in KERNELS:
        p = os.path.join(d, '%s-%s.txt' % (b, k))
        if os.path.exists(p):
            data[(b, k)] = load(p)
        else:
            missing.append('%s-%s.txt' % (b, k))
    runs = []
    for key in data:
        for r in data[key][1]:
            if r not in runs:
                runs.append(r)
    added = []
    out = ['# The kernel\'s mm selftests on the debug kernels',
           '',
           'Written by `scripts/mm-selftests-table.py` from the files beside it',
           '(`scripts/run-mm-selftests.sh`, `make mm-selftests KERNEL=base|patched',
           'BASE=7.3|6.12`). Each program ran static, from its base tree\'s',
           '`tools/testing/selftests/mm`, on the debug kernel of',
           '`configs/debug.config` under QEMU TCG, with a time cap.',
           '',
           '| run | ' + ' | '.join('%s %s' % (b, 'unpatched' if k == 'base' else 'patched')
                                  for b, k in KERNELS) + ' |',
           '|---|' + '---|' * len(KERNELS)]
    for r in runs:
        cells = []
        for b, k in KERNELS:
            if (b, k) not in data:
                cells.append('(no file)')
                continue
            res, rest, cases = data[(b, k)][1].get(r, ('not run', '', ''))
            cell = res
            if rest:
                cell += ' (%s)' % rest.replace('|', '/')
            if cases not in ('', '-'):
                cell += ': ' + cases
            if k == 'patched' and res != 'pass':
                base = data.get((b, 'base'), (None, {}))[1].get(r, ('not run', '', ''))[0]
                others = set()
                for f in os.listdir(d):
                    if f.startswith('%s-base.rerun-' % b) and f.endswith('.txt'):
                        others.add(load(os.path.join(d, f))[1].get(r, ('not run',))[0])
                if base == res or res in others:
                    cell += ', as on the base: the base\'s'
                else:
                    cell += ', **ADDED by the series** (base: %s)' % base
                    added.append('%s %s: %s (base: %s)' % (b, r, res, base))
            cells.append(cell)
        out.append('| %s | %s |' % (r, ' | '.join(cells)))
    out.append('')
    out.append('## The kernels')
    out.append('')
    for b, k in KERNELS:
        if (b, k) in data:
            out.append('- **%s %s**: %s' % (b, k, '; '.join(data[(b, k)][0][1:])))
    out.append('')
    reruns = sorted(f for f in os.listdir(d) if '.rerun-' in f and f.endswith('.txt'))
    if reruns:
        out.append('## Reruns')
        out.append('')
        out.append('Runs repeated to tell a flaky case from a failure (a result the base')
        out.append('had in any of its runs is the base\'s; `scripts/stress.sh` matches so):')
        out.append('')
        for f in reruns:
            _, rows = load(os.path.join(d, f))
            out.append('- `%s`: %s' % (f, '; '.join('%s %s%s' % (r, v[0], '' if v[0] == 'pass' else ' (%s%s)' % (
                v[1], '' if v[2] in ('', '-') else ': ' + v[2])) for r, v in rows.items())))
        out.append('')
    if missing:
        out.append('Missing: %s.' % ', '.join(missing))
    out.append('Failures the series adds: %s.' % ('; '.join(added) if added else 'none'))
    with open(os.path.join(d, 'table.md'), 'w') as f:
        f.write('\n'.join(out) + '\n')
    print('\n'.join(out))
    if added:
        return 1
    return 2 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
