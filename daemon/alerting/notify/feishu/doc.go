// Package feishu sends alert notifications through a Feishu (Lark) custom
// bot (自定义机器人) as an interactive card with a markdown element.
//
// The contract, from Feishu's custom bot guide
// (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
//
//   - POST JSON to the webhook URL (…/open-apis/bot/v2/hook/<token>);
//   - signature verification (签名校验): the string timestamp-in-seconds +
//     "\n" + secret is the HMAC-SHA256 key, the message signed is empty,
//     and base64 of the MAC goes in the body as "sign" beside "timestamp";
//     a timestamp more than an hour from Feishu's clock is refused;
//   - the answer carries "code" (0 is success) and "msg": 19021 is a bad
//     signature or timestamp, 9499 a bad request, 11232 the rate limit;
//   - each bot takes at most 100 messages a minute and 5 a second, and a
//     request body of at most 20 KB.
package feishu
