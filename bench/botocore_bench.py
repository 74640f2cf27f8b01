"""botocore as the reference signer of bench/run, on the fixed workload.

    bench/.venv/bin/python bench/botocore_bench.py [--time-ms N] [--rounds N] < expected.json

stdin: `node bench/lib/ours.mjs` (the workload and our core's outputs). Every botocore output is
checked against ours before it is timed: (A) the presigned URL (signature and parameter set),
(B) the Authorization header's signature, (C) the POST policy document byte for byte and its
signature. Prints one JSON object.
"""
import base64
import datetime
import json
import resource
import sys
import time
from urllib.parse import parse_qsl, urlsplit

import botocore
import botocore.auth
import botocore.session
import botocore.signers
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


def flag(name, default):
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


TIME_S = flag('--time-ms', 300) / 1000
ROUNDS = flag('--rounds', 5)
expected = json.load(sys.stdin)
w = expected['workload']

# botocore reads the clock through get_current_datetime(); pin it to the workload's instant.
FIXED = datetime.datetime.fromtimestamp(w['nowSeconds'], datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *a, **k: FIXED
botocore.signers.get_current_datetime = lambda *a, **k: FIXED

session = botocore.session.get_session()
client = session.create_client(
    's3', region_name=w['region'],
    aws_access_key_id=w['credentials']['accessKeyId'], aws_secret_access_key=w['credentials']['secretAccessKey'],
    config=Config(signature_version='s3v4', s3={'addressing_style': 'virtual'}),
)
creds = Credentials(w['credentials']['accessKeyId'], w['credentials']['secretAccessKey'])


class GivenHashAuth(botocore.auth.S3SigV4Auth):
    """botocore's S3 signer with the payload hash given, not computed from a body (workload B)."""

    def payload(self, request):
        return request.context['payload_sha256']


put_signer = GivenHashAuth(creds, 's3', w['region'])
url_a = f"https://{w['host']}{w['path']}"


def op_a():
    return client.generate_presigned_url(
        'get_object',
        Params={'Bucket': w['bucket'], 'Key': w['key'], 'ResponseContentDisposition': w['contentDisposition']},
        ExpiresIn=w['getExpires'],
    )


def op_b():
    req = AWSRequest(method='PUT', url=url_a, headers={
        'Content-Type': w['putContentType'],
    })
    req.context['payload_sha256'] = w['payloadSha256']
    put_signer.add_auth(req)
    return req.headers['Authorization']


def op_c():
    return client.generate_presigned_post(
        w['bucket'], w['key'],
        Fields={'Content-Type': w['postContentType']},
        Conditions=[['eq', '$Content-Type', w['postContentType']], ['content-length-range', w['postMin'], w['postMax']]],
        ExpiresIn=w['postExpires'],
    )


def check_a(url):
    a, b = urlsplit(expected['A']['url']), urlsplit(url)
    if (a.netloc, a.path) != (b.netloc, b.path):
        return f'host/path differ: {b.netloc}{b.path}'
    if sorted(parse_qsl(a.query)) != sorted(parse_qsl(b.query)):
        return f'query differs: {b.query}'
    return None


def check_b(auth):
    ours = expected['B']['authorization'].rsplit('Signature=', 1)[1]
    theirs = auth.rsplit('Signature=', 1)[1]
    return None if ours == theirs else f'signature {theirs} != ours {ours}'


def check_c(post):
    policy = post['fields']['policy']
    if policy != expected['C']['policy']:
        return 'policy differs: ' + base64.b64decode(policy).decode()
    if post['fields']['x-amz-signature'] != expected['C']['signature']:
        return 'signature differs'
    if post['url'] != expected['C']['url']:
        return f"url differs: {post['url']}"
    return None


OPS = {'A': (op_a, check_a), 'B': (op_b, check_b), 'C': (op_c, check_c)}
checks, records = [], []
bad = 0
for name, (fn, check) in OPS.items():
    err = check(fn())
    bad += 1 if err else 0
    checks.append({'operation': name, 'system': 'botocore', 'agree': err is None, 'detail': err})


def time_once(fn):
    n, batch = 0, 16
    t0 = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        el = time.perf_counter() - t0
        if el >= TIME_S:
            return n / el
        if el < TIME_S / 10:
            batch *= 2


if bad == 0:
    for fn, _ in OPS.values():
        for _ in range(100):
            fn()
    rates = {k: [] for k in OPS}
    names = list(OPS)
    for r in range(ROUNDS):
        for j in range(len(names)):
            k = names[(j + r) % len(names)]
            rates[k].append(time_once(OPS[k][0]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for k, rs in rates.items():
        m = sorted(rs)[len(rs) // 2]
        records.append({
            'suite': 'botocore', 'system': 'botocore', 'operation': k, 'opsPerSec': m, 'opsPerSecRounds': rs,
            'p50Us': 1e6 / m, 'version': f'botocore {botocore.__version__}, python {sys.version.split()[0]}',
            'peakRssMiB': rss,
        })
print(json.dumps({'suite': 'botocore', 'checks': checks, 'records': records, 'disagreements': bad}))
sys.exit(1 if bad else 0)
