#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark results: check one run's output, and compare the kernels.

  report.py ingest --scenario S --kernel K --setting X --run N
                   --boot-status RC --log RESULTS_LOG --out RESULTS_JSONL
                   --scenario-file FILE
      Read the JSON lines one boot printed (benchmarks/guest), check them
      and append one record to RESULTS_JSONL. A run fails when the boot
      failed, the guest did not end with status 0, a workload reported a
      changed page (any "corrupt_*" field above 0), the guest ran the
      wrong kernel, or a metric of the scenario is missing. Prints one
      line of summary; exit status 1 when the run failed.

  report.py report --results RESULTS_JSONL --scenarios-dir DIR
                   --out-dir DIR --command CMD [--series TEXT] [--smoke 0|1]
                   SCENARIO...
      mmtests-style tables for each scenario: the base kernel as 0.00%
      beside the patched one, setting by setting, and where a scenario has
      several settings, the first against the others on each kernel. Each
      cell is the median of the runs with [min, max]; "*" marks a change
      whose ranges do not overlap. Writes DIR/SCENARIO.md and
      DIR/SCENARIO.png (gnuplot), and prints the tables. Failed runs are
      listed, not counted; exit status 1 only when a scenario has no run.

Python because the kernel's own test tooling (kunit.py) is; standard
library only.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys


def scenario_vars(path, smoke=0):
    """The scenario file's variables, as the shell sees them (with the
    SMOKE_ values in smoke mode, as the runner and the guest do)."""
    names = ['METRICS', 'HEADLINE', 'PLOT', 'SETTINGS', 'RUNS',
             'GUEST_MEM_MB', 'GUEST_CPUS', 'GUEST_NODES', 'PHASES']
    loader = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'guest', 'scenario.sh')
    script = '. "$1"; load_scenario "$2" "$3"; ' + \
        ' '.join('printf "%%s\\0" "${%s:-}";' % n for n in names)
    out = subprocess.run(['bash', '-c', script, 'scenario', loader, path, str(smoke)],
                         check=True, capture_output=True, text=True).stdout
    vals = dict(zip(names, out.split('\0')))
    vals['METRICS'] = [m.split(':') for m in vals['METRICS'].split()]
    vals['PLOT'] = vals['PLOT'].split()
    vals['SETTINGS'] = vals['SETTINGS'].split()
    header = []
    with open(path) as f:
        for l in f:
            if not l.startswith('#') or l.startswith('# Plain shell'):
                break
            header.append(l[2:].rstrip())
    vals['HEADER'] = header
    return vals


# ---- ingest -------------------------------------------------------------------

def ingest(a):
    sc = scenario_vars(a.scenario_file)
    errors = []
    lines = []
    if a.boot_status != 0:
        errors.append('boot exit status %d' % a.boot_status)
    try:
        with open(a.log, errors='replace') as f:
            raw = f.read().splitlines()
    except OSError as e:
        raw = []
        errors.append('no results: %s' % e)
    for l in raw:
        l = l.strip()
        if not l.startswith('{'):
            continue
        try:
            lines.append(json.loads(l))
        except ValueError:
            errors.append('not JSON: %s' % l[:80])

    values = {}
    verified = corrupt = 0
    info = {}
    settings = []
    end = None
    for rec in lines:
        phase = rec.get('phase', '?')
        if rec.get('workload') == 'guest':
            info = rec
        if rec.get('event') == 'setting':
            settings.append(rec.get('setting'))
        if rec.get('event') == 'end':
            end = rec
        if rec.get('event') == 'failed':
            errors.append('%s failed: %s' % (phase, rec.get('command') or rec.get('why')))
        if rec.get('event') == 'error':
            errors.append('%s: %s error: %s' % (phase, rec.get('workload'), rec.get('error')))
        if str(rec.get('event', '')).startswith('verified'):
            verified += rec.get('pages', 0) + rec.get('files', 0)
        for k, v in rec.items():
            if k.startswith('corrupt') and v:
                corrupt += v
                errors.append('%s: %s reported %s %s' % (phase, rec.get('workload'), v, k))
            if v is None:
                # printed as null: nothing to measure (no THP fault
                # served, say); there, but in no median
                values.setdefault('%s:%s' % (phase, k), None)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                # phase:field is what METRICS name; where two workloads of
                # a phase print one field, the first keeps it, and each is
                # also under phase:workload:field
                values.setdefault('%s:%s' % (phase, k), v)
                values['%s:%s:%s' % (phase, rec.get('workload'), k)] = v
    if end is None:
        errors.append('the guest did not finish (no end line)')
    elif end.get('status') != 0:
        errors.append('the guest ended with status %s (%s)' % (end.get('status'), end.get('failed')))
    if not info:
        errors.append('the guest did not say which kernel it runs')
    elif info.get('uts_version') != a.expect_uts:
        errors.append('booted the wrong kernel: the guest runs "%s", the %s kernel is "%s"'
                      % (info.get('uts_version'), a.kernel, a.expect_uts))
    if settings != [a.setting] and a.boot_status == 0:
        errors.append('asked for setting %s, the guest applied %s' % (a.setting, settings or 'none'))
    if not verified:
        errors.append('no workload verified its memory')
    missing = ['%s:%s' % (m[0], m[1]) for m in sc['METRICS'] if '%s:%s' % (m[0], m[1]) not in values]
    if missing and a.boot_status == 0:
        errors.append('metrics missing: %s' % ' '.join(missing))

    accel = 'tcg'
    try:
        with open(os.path.join(os.path.dirname(a.log), 'accel')) as f:
            accel = f.read().strip() or accel
    except OSError:
        pass
    record = {'scenario': a.scenario, 'kernel': a.kernel, 'setting': a.setting,
              'run': a.run, 'ok': not errors, 'errors': errors, 'accel': accel,
              'verified_pages': verified, 'corrupt': corrupt,
              'guest': {k: info.get(k) for k in ('kernel', 'cpus', 'nodes', 'memtotal_kb',
                                                 'clocksource', 'thp_enabled', 'thp_defrag')},
              'values': values}
    with open(a.out, 'a') as f:
        f.write(json.dumps(record, sort_keys=True) + '\n')

    first = (sc['HEADLINE'].split() or ['%s:%s' % tuple(sc['METRICS'][0][:2])])[0]
    msg = 'verified %d pages/files, %d corrupt' % (verified, corrupt)
    if values.get(first) is not None:
        msg += '; %s %s' % (first.split(':')[1], fmt(values[first]))
    if errors:
        print('%s; %s' % (msg, '; '.join(errors)))
        return 1
    print(msg)
    return 0


# ---- report -------------------------------------------------------------------

def fmt(v):
    """Integers as they are, other values to 3 significant digits."""
    if v is None:
        return '-'
    if isinstance(v, int) or float(v).is_integer():
        return '%d' % v
    if abs(v) >= 100:
        return '%.0f' % v
    return '%.3g' % v


def unit(field):
    if '_kb' in field:
        return 'KiB'
    field = field.replace('_per_node', '')
    for suffix, u in (('_per_s', '/s'), ('_us', 'us'), ('_ms', 'ms'), ('_s', 's'),
                      ('_pct', '%'), ('_kb', 'KiB')):
        if field.endswith(suffix):
            return u
    return ''


class Stat:
    def __init__(self, vals):
        self.vals = vals
        self.n = len(vals)
        self.med = statistics.median(vals) if vals else None
        self.lo = min(vals) if vals else None
        self.hi = max(vals) if vals else None

    def cell(self):
        if not self.n:
            return 'no runs'
        return '%s [%s, %s]' % (fmt(self.med), fmt(self.lo), fmt(self.hi))


def change(base, other, better):
    """Change of other's median against base's, in %, and the mark."""
    if not base.n or not other.n:
        return '-'
    if base.med == 0:
        pct = '0.00%' if other.med == 0 else 'new'
    else:
        pct = '%+.2f%%' % ((other.med - base.med) * 100.0 / base.med)
    apart = other.lo > base.hi or other.hi < base.lo
    mark = ''
    if apart and base.n >= 3 and other.n >= 3:
        improved = (other.med < base.med) == (better == 'lower')
        mark = ' * (%s)' % ('better' if improved else 'worse')
    return pct + mark


def stats_of(recs, key):
    return Stat([r['values'][key] for r in recs if r['values'].get(key) is not None])


def table(title, cols, metrics, by_variant):
    """Markdown: one row a metric, the first column the baseline."""
    heads = ['%s %s (n=%d)' % (k, s, len(by_variant.get((k, s), []))) for k, s in cols]
    changes = ['change %s' % h.split(' (')[0] for h in heads[1:]]
    out = ['**%s**' % title, '',
           '| ' + ' | '.join(['metric'] + heads + changes) + ' |',
           '|---' * (1 + len(heads) + len(changes)) + '|']
    for phase, field, better in metrics:
        key = '%s:%s' % (phase, field)
        st = [stats_of(by_variant.get(c, []), key) for c in cols]
        u = unit(field)
        name = '%s %s%s' % (phase, field, ' (%s)' % u if u else '')
        cells = [st[0].cell() + ' (0.00%)' if st[0].n else 'no runs']
        cells += [s.cell() for s in st[1:]]
        cells += [change(st[0], s, better) for s in st[1:]]
        out.append('| %s, %s is better | %s |' % (name, better, ' | '.join(cells)))
    return '\n'.join(out)


def headline(sc, recs_by_kernel):
    """The first setting against the last, run by run, on each kernel."""
    if len(sc['SETTINGS']) < 2:
        return ''
    return '\n\n'.join(headline_one(sc, key, recs_by_kernel) for key in sc['HEADLINE'].split())


def headline_one(sc, key, recs_by_kernel):
    s0, s1 = sc['SETTINGS'][0], sc['SETTINGS'][-1]
    lines = ['**Headline: %s, %s against %s, as a ratio (%s / %s)**' % (key, s0, s1, s0, s1), '']
    for k, recs in recs_by_kernel.items():
        a = {r['run']: r['values'].get(key) for r in recs if r['setting'] == s0}
        b = {r['run']: r['values'].get(key) for r in recs if r['setting'] == s1}
        ratios = [a[r] / b[r] for r in sorted(a) if r in b and a[r] and b[r]]
        if not ratios:
            lines.append('- %s: no pair of runs' % k)
            continue
        u = unit(key.split(':')[1])
        lines.append('- %s: %.2fx (median of %d paired runs; range %.2fx to %.2fx); '
                     'medians %s = %s %s, %s = %s %s'
                     % (k, statistics.median(ratios), len(ratios), min(ratios), max(ratios),
                        s0, fmt(statistics.median([v for v in a.values() if v is not None])), u,
                        s1, fmt(statistics.median([v for v in b.values() if v is not None])), u))
    return '\n'.join(lines)


def plot(sc, name, variants, by_variant, out_dir):
    """A PNG: each PLOT metric's median per variant, with min-max bars."""
    if not sc['PLOT'] or not variants:
        return None
    gp = shutil.which('gnuplot')
    if not gp:
        raise SystemExit('gnuplot is missing: run scripts/deps.sh (package gnuplot-nox)')
    dat = os.path.join(out_dir, '.%s.dat' % name)
    png = os.path.join(out_dir, '%s.png' % name)
    ymax, ymin = 0, None
    with open(dat, 'w') as f:
        for key in sc['PLOT']:
            row = [key.replace(':', ' ')]
            for v in variants:
                st = stats_of(by_variant.get(v, []), key)
                # "?" is gnuplot's missing value: no bar, not a bar at 0
                row += [fmt(st.med), fmt(st.lo), fmt(st.hi)] if st.n else ['?'] * 3
                ymax = max(ymax, st.hi or 0)
                if st.lo and st.lo > 0:
                    ymin = st.lo if ymin is None else min(ymin, st.lo)
            f.write('"%s" %s\n' % (row[0], ' '.join(row[1:])))
    units = sorted({unit(k.split(':')[1]) for k in sc['PLOT']})
    plots = ', '.join("'%s' using %d:%d:%d%s title '%s %s'"
                      % (dat if i == 0 else '', 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
                         ':xtic(1)' if i == 0 else '', v[0], v[1])
                      for i, v in enumerate(variants))
    script = '\n'.join([
        'set terminal pngcairo size 1100,560 font ",10" noenhanced',
        "set output '%s'" % png,
        "set title '%s: median of the runs, bars from min to max'" % name,
        "set ylabel '%s'" % ', '.join(u or 'count' for u in units),
        'set style data histogram',
        'set style histogram errorbars gap 2 lw 1',
        'set style fill solid 0.7 border -1',
        'set key top left',
        'set grid ytics',
        'set xtics rotate by -25 scale 0',
        'set bmargin 6',
        # values far apart (a floor of microseconds beside milliseconds)
        # need a log scale to be seen at all
        ('set logscale y\nset yrange [%s:%s]' % (ymin / 2, ymax * 3)
         if ymin and ymax / ymin > 100 else 'set yrange [0:%s]' % (ymax * 1.15 if ymax else 1)),
        'plot %s' % plots, ''])
    subprocess.run([gp], input=script, text=True, check=True)
    os.unlink(dat)
    return png


def report(a):
    recs = []
    with open(a.results) as f:
        for l in f:
            if l.strip():
                recs.append(json.loads(l))
    status = 0
    for name in a.scenarios:
        sc = scenario_vars(os.path.join(a.scenarios_dir, name), a.smoke)
        mine = [r for r in recs if r['scenario'] == name]
        ok = [r for r in mine if r['ok']]
        bad = [r for r in mine if not r['ok']]
        kernels = [k for k in ('base', 'patched') if any(r['kernel'] == k for r in mine)]
        by_variant = {}
        for r in ok:
            by_variant.setdefault((r['kernel'], r['setting']), []).append(r)
        guest = next((r['guest'] for r in ok if r['guest'].get('kernel')), {})
        accel = sorted({r['accel'] for r in mine}) or ['-']
        md = ['# %s' % name, '']
        if a.smoke == 1:
            md += ['**Smoke run (make check): the SMOKE_ sizes, a few seconds each. '
                   'These numbers only show that the harness works; they are not measurements.**', '']
        md += ['\n'.join(sc['HEADER']), '',
               '- Command: `%s`' % a.command,
               '- Date: %s; host: %s, %d CPUs; QEMU accel: %s (under TCG only ratios within '
               'one run mean anything; no time here is a claim about real hardware)'
               % (datetime.date.today().isoformat(), platform.machine(), os.cpu_count(),
                  ', '.join(accel)),
               '- Guest: %s MiB (MemTotal %s MiB), %s CPUs, %s NUMA node(s), clocksource %s, '
               'THP enabled=%s defrag=%s'
               % (sc['GUEST_MEM_MB'], (guest.get('memtotal_kb') or 0) // 1024, sc['GUEST_CPUS'],
                  sc['GUEST_NODES'], guest.get('clocksource'), guest.get('thp_enabled'),
                  guest.get('thp_defrag')),
               '- Phases (the first word of each metric): %s' % (sc['PHASES'] or '-'),
               '- Kernels: base = %s unpatched; patched = the same with the %s applied; '
               'both allnoconfig + configs/guest.config, booted with kunit.enable=0'
               % (guest.get('kernel') or '?', a.series),
               '- Runs: %d finished and verified, %d failed; kernels booted alternately'
               % (len(ok), len(bad)),
               '- Memory verified: %d pages/files in all, %d corrupt'
               % (sum(r['verified_pages'] for r in ok), sum(r['corrupt'] for r in mine)),
               '']
        for r in bad:
            md.append('- FAILED: %s %s run %s: %s' % (r['kernel'], r['setting'], r['run'],
                                                       '; '.join(r['errors'])))
        if bad:
            md.append('')
        if not mine:
            md.append('No runs of this scenario in %s.' % a.results)
            status = 1
        for s in sc['SETTINGS']:
            cols = [(k, s) for k in kernels]
            if cols:
                md += [table('%s: base against patched, setting %s (median [min, max])'
                             % (name, s), cols, sc['METRICS'], by_variant), '']
        if len(sc['SETTINGS']) > 1:
            for k in kernels:
                cols = [(k, s) for s in sc['SETTINGS']]
                md += [table('%s: settings on the %s kernel, %s as the baseline'
                             % (name, k, sc['SETTINGS'][0]), cols, sc['METRICS'], by_variant), '']
            by_kernel = {k: [r for r in ok if r['kernel'] == k] for k in kernels}
            h = headline(sc, by_kernel)
            if h:
                md += [h, '']
        variants = [(k, s) for s in sc['SETTINGS'] for k in kernels if (k, s) in by_variant]
        png = plot(sc, name, variants, by_variant, a.out_dir)
        if png:
            md += ['![%s](%s)' % (name, os.path.basename(png)), '']
        md += ['"*": the two ranges [min, max] do not overlap. With 3 runs that is a '
               'coarse test, not a significance level; read the spread.', '']
        text = '\n'.join(md)
        with open(os.path.join(a.out_dir, name + '.md'), 'w') as f:
            f.write(text)
        print(text)
    return status


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    i = sub.add_parser('ingest')
    i.add_argument('--scenario', required=True)
    i.add_argument('--scenario-file', required=True)
    i.add_argument('--kernel', required=True, choices=['base', 'patched'])
    i.add_argument('--setting', required=True)
    i.add_argument('--run', required=True, type=int)
    i.add_argument('--boot-status', required=True, type=int)
    i.add_argument('--expect-uts', required=True,
                   help="the kernel's uname -v, from its bzImage header")
    i.add_argument('--log', required=True)
    i.add_argument('--out', required=True)
    r = sub.add_parser('report')
    r.add_argument('--results', required=True)
    r.add_argument('--scenarios-dir', required=True)
    r.add_argument('--out-dir', required=True)
    r.add_argument('--command', required=True)
    r.add_argument('--smoke', type=int, default=0)
    r.add_argument('--series', default='patches/')
    r.add_argument('scenarios', nargs='+')
    a = ap.parse_args()
    sys.exit(ingest(a) if a.cmd == 'ingest' else report(a))


if __name__ == '__main__':
    main()
