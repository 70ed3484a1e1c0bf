#!/usr/bin/env python3
"""Write an API Gateway REST API (v1, Lambda proxy) event as API Gateway sends it.

Used to (re)generate events/<group>/*.json; tests replay those files through the routers, and
`sam local invoke -e events/<group>/<file>.json` feeds them to the built functions.
Usage: make_event.py METHOD PATH RESOURCE OUT [--header K:V ...] [--body FILE] [--query k=v ...]
       [--binary]   (send the body base64-encoded with isBase64Encoded: true, as API Gateway
                     does for binary media types such as multipart/form-data uploads)
"""
import argparse, base64, json, uuid

ap = argparse.ArgumentParser()
ap.add_argument("method"); ap.add_argument("path"); ap.add_argument("resource"); ap.add_argument("out")
ap.add_argument("--header", action="append", default=[])
ap.add_argument("--query", action="append", default=[])
ap.add_argument("--body")
ap.add_argument("--path-param", action="append", default=[])
ap.add_argument("--function-url", action="store_true", help="Lambda Function URL (payload v2) event")
ap.add_argument("--binary", action="store_true", help="base64-encode the body (isBase64Encoded)")
a = ap.parse_args()

headers = {
    "Accept": "application/json",
    "Host": "abc123def4.execute-api.us-east-1.amazonaws.com",
    "User-Agent": "curl/8.5.0",
    "X-Amzn-Trace-Id": "Root=1-6750c1a0-3f0e5d2a7b8c9d0e1f2a3b4c",
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}
for h in a.header:
    k, v = h.split(":", 1)
    headers[k.strip()] = v.strip()
query = dict(q.split("=", 1) for q in a.query) or None
pathp = dict(p.split("=", 1) for p in a.path_param) or None
if a.body and a.binary:
    body = base64.b64encode(open(a.body, "rb").read()).decode()
else:
    body = open(a.body).read() if a.body else None
rid = str(uuid.uuid5(uuid.NAMESPACE_URL, a.method + a.path + a.out))
if a.function_url:
    url_id = "x3nq7yq5kqg4rk3hgfyzsfrjte0ocpmz"
    h = {k.lower(): v for k, v in headers.items()}
    h["host"] = f"{url_id}.lambda-url.us-east-1.on.aws"
    qs = "&".join(a.query)
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": a.path,
        "rawQueryString": qs,
        "headers": h,
        "queryStringParameters": query,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": h["host"],
            "domainPrefix": url_id,
            "http": {"method": a.method, "path": a.path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": h.get("user-agent", "")},
            "requestId": rid,
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Dec/2026:21:30:00 +0000",
            "timeEpoch": 1796419800000,
        },
        "body": body,
        "isBase64Encoded": a.binary,
    }
    with open(a.out, "w") as f:
        json.dump(event, f, indent=2)
        f.write("\n")
    raise SystemExit(0)
event = {
    "resource": a.resource,
    "path": a.path,
    "httpMethod": a.method,
    "headers": headers,
    "multiValueHeaders": {k: [v] for k, v in headers.items()},
    "queryStringParameters": query,
    "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
    "pathParameters": pathp,
    "stageVariables": None,
    "requestContext": {
        "resourceId": "x1y2z3",
        "resourcePath": a.resource,
        "httpMethod": a.method,
        "extendedRequestId": "Cq2bXF3yIAMF8Ow=",
        "requestTime": "04/Dec/2026:21:30:00 +0000",
        "path": "/prod" + a.path,
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": "prod",
        "domainPrefix": "abc123def4",
        "requestTimeEpoch": 1796419800000,
        "requestId": rid,
        "identity": {
            "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
            "caller": None, "sourceIp": "203.0.113.7", "principalOrgId": None,
            "accessKey": None, "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None, "userArn": None,
            "userAgent": "curl/8.5.0", "user": None,
        },
        "domainName": "abc123def4.execute-api.us-east-1.amazonaws.com",
        "apiId": "abc123def4",
    },
    "body": body,
    "isBase64Encoded": a.binary,
}
with open(a.out, "w") as f:
    json.dump(event, f, indent=2)
    f.write("\n")
