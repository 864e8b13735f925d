#!/usr/bin/env python3
"""Hot-add and hot-remove a QEMU pc-dimm in a loop, over QMP, during the
storm (scripts/stress.sh starts it beside the guest).

usage: scripts/qmp-dimm.py SOCKET READY_FILE SUMMARY_JSON [--size-mb N]
       [--node N] [--hold SEC] [--deadline EPOCH] [--slots N]

Waits for the QMP socket and for the line STRESS-RUNNING in READY_FILE
(the guest's stress output), then until the guest's storm ends (the line
STRESS-STOPPING), DEADLINE, or QEMU goes:
  object-add memory-backend-ram, device_add pc-dimm on NODE (the guest
  onlines its blocks: 7.3 leaves hot-added memory offline), hold it HOLD
  seconds, device_del (an ACPI eject: the guest offlines the blocks and
  QEMU sends DEVICE_DELETED, or the eject fails and the DIMM stays);
  object-del once the DIMM is gone.
A cycle counts as done when the DIMM was added and then deleted. An eject
that the guest refused (no DEVICE_DELETED within 60 s, or an ACPI _OST
failure) is counted and retried before the next add. SUMMARY_JSON gets
{"dimm_cycles": N, "dimm_add_failed": N, "dimm_remove_refused": N, ...},
and SUMMARY_JSON.log each add, delete and the ACPI events that came.
Each DIMM goes into the next of --slots slots (QEMU -m ...,slots=N): on
QEMU 7.2 with Linux 7.3 an ejected slot's _STA still reads 0xf, the
guest warns "Eject incomplete" and never adds memory in that slot again,
so a slot serves one real cycle; the guest counts the DIMM blocks it saw
(dimm_blocks_seen), and scripts/stress.sh counts no more cycles than that.
"""
import argparse
import json
import os
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout):
        end = time.time() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.time() > end:
                    raise
                time.sleep(0.5)
        self.buf = b''
        self.events = []
        self.read()  # the greeting
        self.cmd('qmp_capabilities')

    def read(self, timeout=None):
        self.s.settimeout(timeout)
        while b'\n' not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError('QMP closed')
            self.buf += d
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def cmd(self, name, **args):
        self.s.sendall(json.dumps({'execute': name, 'arguments': args}).encode() + b'\n')
        while True:
            r = self.read(30)
            if 'event' in r:
                self.events.append(r)
                continue
            return r

    def wait_event(self, pred, timeout):
        end = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if pred(e):
                    return self.events.pop(i)
            left = end - time.time()
            if left <= 0:
                return None
            try:
                r = self.read(left)
            except socket.timeout:
                return None
            if 'event' in r:
                self.events.append(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('socket')
    ap.add_argument('ready')
    ap.add_argument('summary')
    ap.add_argument('--size-mb', type=int, default=128)
    ap.add_argument('--node', type=int, default=1)
    ap.add_argument('--hold', type=float, default=8)
    ap.add_argument('--deadline', type=float, default=0)
    ap.add_argument('--slots', type=int, default=64)
    a = ap.parse_args()
    st = {'dimm_cycles': 0, 'dimm_add_failed': 0, 'dimm_remove_refused': 0,
          'dimm_ost_failures': 0, 'dimm_errors': []}

    def save():
        with open(a.summary + '.tmp', 'w') as f:
            json.dump(st, f)
        os.replace(a.summary + '.tmp', a.summary)

    save()
    trace = open(a.summary + '.log', 'w', buffering=1)

    def note(msg):
        trace.write('%.1f %s\n' % (time.time(), msg))

    try:
        q = QMP(a.socket, 600)
        while True:
            try:
                if 'STRESS-RUNNING' in open(a.ready, errors='replace').read():
                    break
            except FileNotFoundError:
                pass
            time.sleep(1)
        n = 0
        pending = None  # a DIMM whose eject the guest refused
        def storm_over():
            try:
                return 'STRESS-STOPPING' in open(a.ready, errors='replace').read()
            except FileNotFoundError:
                return False

        while (not a.deadline or time.time() < a.deadline - a.hold - 60) and \
                (pending or not storm_over()):
            if pending:
                q.cmd('device_del', id=pending)
                if q.wait_event(lambda e: e['event'] == 'DEVICE_DELETED' and
                                e.get('data', {}).get('device') == pending, 60):
                    q.cmd('object-del', id='m' + pending)
                    st['dimm_cycles'] += 1
                    pending = None
                else:
                    st['dimm_remove_refused'] += 1
                    save()
                    continue
            n += 1
            dev, mem = 'dimm%d' % n, 'mdimm%d' % n
            r = q.cmd('object-add', **{'qom-type': 'memory-backend-ram', 'id': mem,
                                       'size': a.size_mb << 20})
            if 'error' in r:
                st['dimm_add_failed'] += 1
                st['dimm_errors'].append(r['error'].get('desc', '')[:200])
                save()
                time.sleep(5)
                continue
            # a slot of its own each time, round the slots: after an eject
            # QEMU's _STA still reads 0xf ("Eject incomplete" in the guest),
            # and the guest never adds memory in that slot again
            r = q.cmd('device_add', driver='pc-dimm', id=dev, memdev=mem, node=a.node,
                      slot=(n - 1) % a.slots)
            if 'error' in r:
                st['dimm_add_failed'] += 1
                st['dimm_errors'].append(r['error'].get('desc', '')[:200])
                q.cmd('object-del', id=mem)
                save()
                time.sleep(5)
                continue
            note('added %s' % dev)
            time.sleep(a.hold)
            note('device_del %s' % dev)
            q.cmd('device_del', id=dev)
            e = q.wait_event(lambda e: (e['event'] == 'DEVICE_DELETED' and
                                        e.get('data', {}).get('device') == dev), 60)
            ost = [x for x in q.events if x['event'] == 'ACPI_DEVICE_OST']
            q.events = [x for x in q.events if x['event'] != 'ACPI_DEVICE_OST']
            st['dimm_ost_failures'] += sum(1 for x in ost
                                           if x.get('data', {}).get('info', {}).get('status', 0))
            note('events %s' % json.dumps([x.get('data') for x in ost] + ([e.get('data')] if e else [])))
            if e:
                q.cmd('object-del', id=mem)
                st['dimm_cycles'] += 1
            else:
                st['dimm_remove_refused'] += 1
                pending = dev
            save()
    except (EOFError, OSError) as e:
        st['dimm_errors'].append('QMP: %s' % e)
    st['dimm_errors'] = st['dimm_errors'][:20]
    save()


if __name__ == '__main__':
    sys.exit(main())
