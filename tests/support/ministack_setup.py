"""Test scaffolding for tests/support/storage.mjs (not product code).

Run with the ministack venv's python (it has botocore):

  python ministack_setup.py setup  '<json>'   -> creates IAM user/key (optional), bucket, CORS
  python ministack_setup.py check-auth '<json>' -> signs with the right and a wrong secret
  python ministack_setup.py create-user '<json>' -> IAM user with one inline policy, and its key
  python ministack_setup.py create-bucket '<json>' -> bucket (LocationConstraint for its region), optional CORS
  python ministack_setup.py put-cors '<json>'    -> replaces a bucket's CORS rules
  python ministack_setup.py list-uploads '<json>' -> open multipart uploads (key, uploadId), optional prefix

Prints one JSON object on stdout. Exit code 0 on success, 1 on failure (the JSON
then has "error").
"""

import json
import sys

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError


def client(service, a, key, secret):
    session = botocore.session.get_session()
    return session.create_client(
        service,
        endpoint_url=a["endpoint"],
        region_name=a["region"],
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"max_attempts": 1},
            connect_timeout=5,
            read_timeout=15,
        ),
    )


def setup(a):
    out = {}
    key, secret = a.get("accessKeyId"), a.get("secretAccessKey")
    if a.get("iam"):
        iam = client("iam", a, a["rootAccessKeyId"], a["rootSecretAccessKey"])
        user = a.get("user", "wps3-test")
        iam.create_user(UserName=user)
        iam.put_user_policy(
            UserName=user,
            PolicyName="wps3-s3-all",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        ak = iam.create_access_key(UserName=user)["AccessKey"]
        key, secret = ak["AccessKeyId"], ak["SecretAccessKey"]
        out.update(accessKeyId=key, secretAccessKey=secret, user=user)
    s3 = client("s3", a, key, secret)
    bucket = a["bucket"]
    if a.get("createBucket", True):
        params = {"Bucket": bucket}
        if a["region"] != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": a["region"]}
        s3.create_bucket(**params)
    s3.head_bucket(Bucket=bucket)
    if a.get("cors", True):
        s3.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": ["*"],
                        "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        )
        out["cors"] = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    out["bucket"] = bucket
    return out


def try_list(a, secret):
    s3 = client("s3", a, a["accessKeyId"], secret)
    try:
        s3.list_objects_v2(Bucket=a["bucket"], MaxKeys=1)
        return {"status": 200, "code": None}
    except ClientError as e:
        return {
            "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "code": e.response.get("Error", {}).get("Code"),
        }


def check_auth(a):
    good = try_list(a, a["secretAccessKey"])
    wrong = a["secretAccessKey"][:-4] + ("AAAA" if not a["secretAccessKey"].endswith("AAAA") else "BBBB")
    bad = try_list(a, wrong)
    return {"good": good, "bad": bad, "rejected": bad["status"] in (400, 401, 403)}


def create_user(a):
    iam = client("iam", a, a["rootAccessKeyId"], a["rootSecretAccessKey"])
    iam.create_user(UserName=a["user"])
    iam.put_user_policy(UserName=a["user"], PolicyName=a["user"] + "-policy", PolicyDocument=json.dumps(a["policy"]))
    ak = iam.create_access_key(UserName=a["user"])["AccessKey"]
    return {"accessKeyId": ak["AccessKeyId"], "secretAccessKey": ak["SecretAccessKey"], "user": a["user"]}


def create_bucket(a):
    s3 = client("s3", a, a["accessKeyId"], a["secretAccessKey"])
    params = {"Bucket": a["bucket"]}
    if a["region"] != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": a["region"]}
    s3.create_bucket(**params)
    if a.get("corsRules"):
        s3.put_bucket_cors(Bucket=a["bucket"], CORSConfiguration={"CORSRules": a["corsRules"]})
    return {"bucket": a["bucket"], "location": s3.get_bucket_location(Bucket=a["bucket"]).get("LocationConstraint")}


def put_cors(a):
    s3 = client("s3", a, a["accessKeyId"], a["secretAccessKey"])
    s3.put_bucket_cors(Bucket=a["bucket"], CORSConfiguration={"CORSRules": a["corsRules"]})
    return {"cors": s3.get_bucket_cors(Bucket=a["bucket"])["CORSRules"]}


def list_uploads(a):
    s3 = client("s3", a, a["accessKeyId"], a["secretAccessKey"])
    res = s3.list_multipart_uploads(Bucket=a["bucket"], Prefix=a.get("prefix", ""))
    return {"uploads": [{"key": u["Key"], "uploadId": u["UploadId"]} for u in res.get("Uploads", [])]}


def main():
    cmd, arg = sys.argv[1], json.loads(sys.argv[2])
    try:
        if cmd == "setup":
            res = setup(arg)
        elif cmd == "check-auth":
            res = check_auth(arg)
        elif cmd == "create-user":
            res = create_user(arg)
        elif cmd == "create-bucket":
            res = create_bucket(arg)
        elif cmd == "put-cors":
            res = put_cors(arg)
        elif cmd == "list-uploads":
            res = list_uploads(arg)
        else:
            raise SystemExit("unknown command " + cmd)
    except ClientError as e:
        print(json.dumps({"error": str(e), "code": e.response.get("Error", {}).get("Code")}))
        return 1
    except Exception as e:  # noqa: BLE001 - report anything as JSON
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        return 1
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
