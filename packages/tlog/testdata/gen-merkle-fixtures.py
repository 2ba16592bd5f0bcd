#!/usr/bin/env python3
"""Writes merkle-fixtures.json: an independent RFC 6962 implementation (Python hashlib, the
recursive MTH / PATH / PROOF of RFC 6962 section 2.1 verbatim) run over 21 small leaves.
Rerun with `python3 gen-merkle-fixtures.py > merkle-fixtures.json`; the output is deterministic."""
import base64, hashlib, json

def h(b): return hashlib.sha256(b).digest()
def mth(d):
    if len(d) == 0: return h(b'')
    if len(d) == 1: return h(b'\x00' + d[0])
    k = 1
    while k * 2 < len(d): k *= 2
    return h(b'\x01' + mth(d[:k]) + mth(d[k:]))
def split(n):
    k = 1
    while k * 2 < n: k *= 2
    return k
def path(m, d):
    if len(d) <= 1: return []
    k = split(len(d))
    return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]
def subproof(m, d, b):
    n = len(d)
    if m == n: return [] if b else [mth(d)]
    k = split(n)
    return subproof(m, d[:k], b) + [mth(d[k:])] if m <= k else subproof(m - k, d[k:], False) + [mth(d[:k])]
def b64(x): return base64.b64encode(x).decode()

leaves = [('ingress-ledger fixture leaf %d' % i).encode() for i in range(21)]
out = {
    'source': 'packages/tlog/testdata/gen-merkle-fixtures.py (independent Python RFC 6962 implementation)',
    'leaves': [b64(l) for l in leaves],
    'roots': [b64(mth(leaves[:n])) for n in range(len(leaves) + 1)],
    'inclusion': [
        {'index': m, 'size': n, 'proof': [b64(x) for x in path(m, leaves[:n])]}
        for (m, n) in [(0, 1), (0, 2), (1, 2), (4, 5), (6, 7), (3, 13), (12, 13), (7, 16), (15, 16), (16, 17), (0, 21), (13, 21), (20, 21)]
    ],
    'consistency': [
        {'size1': m, 'size2': n, 'proof': [b64(x) for x in subproof(m, leaves[:n], True)]}
        for (m, n) in [(1, 1), (1, 2), (2, 3), (3, 7), (4, 8), (5, 13), (7, 16), (8, 17), (13, 21), (16, 21), (20, 21), (21, 21)]
    ],
}
print(json.dumps(out, indent=1))
