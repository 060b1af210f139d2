// Package wecom sends alert notifications through a WeCom group robot
// (企业微信群机器人) as markdown.
//
// The contract, from WeCom's group robot documentation
// (https://developer.work.weixin.qq.com/document/path/91770) and its global
// error codes (https://developer.work.weixin.qq.com/document/path/90313):
//
//   - POST JSON to …/cgi-bin/webhook/send?key=<key>; the key is the only
//     credential (there is no signing);
//   - {"msgtype": "markdown", "markdown": {"content": "…"}}, the content at
//     most 4096 bytes of UTF-8;
//   - each robot takes at most 20 messages a minute;
//   - the answer is HTTP 200 with {"errcode": n, "errmsg": "…"}; 0 is
//     success, 45009 is the rate limit, 93000 an invalid webhook key,
//     40058 a field out of its bounds.
package wecom
