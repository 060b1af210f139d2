// Package aop is the client of the 1688 open platform gateway
// (gw.open.1688.com, the "Alibaba Open Platform" whose system parameters
// all start with _aop_). It owns the call's common parameters, the
// _aop_signature, the form-encoded POST every official SDK sends, and the
// translation of the gateway's error replies (HTTP status plus an
// error_code/error_message body) into *sdk.Error values.
//
// It knows nothing about products: callers pass an API's namespace, name
// and business parameters and get back the raw JSON body of a successful
// call. Transport, timeouts and proxies are sdk/httpclient's; this package
// never retries and never sleeps.
//
// Sources, read through stored copies of the official SDKs and docs:
//
//   - Java SDK (com.alibaba.ocean.rawsdk, "alibaba-open_api-framework"),
//     util/SignatureUtil.java and client/http/HttpSupport.java, as vendored
//     in github.com/ducmami/alimami at 9e0528b7 under
//     src/main/java/com/alibaba/ocean/rawsdk/.
//   - Python SDK "aop" (author "Alibaba Open Platform", 2016-12-26),
//     aop/api/base.py, as vendored in github.com/ruandejun/storagon at
//     98b27a1a; it cites https://open.1688.com/api/sysSignature.htm.
//   - The signature page's worked example (urlPath
//     param2/1/system/currentTime/1000000, b=2&a=1, secret test123,
//     signature 33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88), quoted in the
//     comments of several public integrations; reproduced in sign_test.go.
package aop
