// Package dingtalk sends alert notifications through a DingTalk custom
// robot (自定义机器人): a markdown message, signed, with @ mentions.
//
// The contract, from DingTalk's custom robot documentation
// (https://open.dingtalk.com/document/robots/custom-robot-access and
// https://open.dingtalk.com/document/orgapp/customize-robot-security-settings):
//
//   - POST JSON to the webhook URL (…/robot/send?access_token=…), UTF-8;
//   - signing (加签): timestamp in milliseconds + "\n" + secret, HMAC-SHA256
//     keyed with the secret, base64, URL-encoded, sent as the timestamp and
//     sign query parameters; a timestamp more than an hour off is refused;
//   - the answer is HTTP 200 with {"errcode": n, "errmsg": "…"}; 0 is success;
//   - each robot takes at most 20 messages a minute; past that it refuses
//     messages for 10 minutes (errcode 410100, "send too fast").
package dingtalk
