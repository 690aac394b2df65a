"""User-facing messages of the portal that do not belong to one form field (Chinese)."""

RECEIPT_MALFORMED = "回执码应为 20 位数字（可带空格），请核对后重新输入。"
RECEIPT_NOT_FOUND = "未找到该回执码对应的举报。请核对每一位数字；若多次输入错误，请稍后再试。"
HONEYPOT = "提交未成功，请刷新页面后重新填写。"
CSRF = "页面已过期或来源无效，为保护您的安全，请重新打开页面后再提交。您填写的内容可能需要重新输入。"
TOO_MANY = "操作过于频繁，请稍后再试。为防止滥用，同一网络地址每天提交的次数有限（同一手机网络的许多用户可能共用一个地址）。"
TOO_MANY_KEPT = ("今天从您所在网络地址提交的次数已达上限（同一手机网络的许多用户可能共用一个地址），本次内容尚未提交。"
                 "您填写的文字保留在下方（证据文件需重新选择）：请先复制保存到手机备忘录，明天再提交，"
                 "或拨打举报电话 {phone}。")
CSRF_KEPT = ("页面已过期（打开时间过长或浏览器清除了数据），本次内容尚未提交。您填写的文字保留在下方，"
             "证据文件需重新选择，请核对后再次提交。")
UNAVAILABLE_KEPT = ("系统暂时繁忙，本次内容尚未提交。您填写的文字保留在下方（证据文件需重新选择），"
                    "请一两分钟后再次提交，或先复制保存到手机备忘录。")
UNAVAILABLE = "系统暂时繁忙，请一两分钟后再试。已提交成功并取得回执码的举报不会丢失。"
TOO_LARGE = "上传的内容过大：每个证据文件不超过 10 MB，最多 5 个。请返回上一页减少文件后重新提交。"
NOT_FOUND = "您访问的页面不存在。"
SERVER_ERROR = "系统暂时无法处理您的请求，请稍后再试。已提交成功并取得回执码的举报不会丢失。"
BAD_REQUEST = "请求无效，请返回上一页重新填写。"
EVIDENCE_TOO_MANY = "证据文件最多 {limit} 个。"
EVIDENCE_TOO_BIG = "文件“{name}”超过 {mb} MB。"
EVIDENCE_EMPTY = "文件“{name}”是空文件。"
EVIDENCE_TYPE = "文件“{name}”的类型不支持。可上传 JPG、PNG、WEBP 图片，PDF 文档，MP3、M4A 录音。"
EVIDENCE_BROKEN = "图片“{name}”已损坏或无法识别，请换一个文件。"
EVIDENCE_PIXELS = "图片“{name}”过大（像素超过 {pixels} 万），请截图或压缩后再上传。"
REPLY_SENT = "您的回复已发送给工作人员。"
EVIDENCE_ADDED = "已补充 {count} 个证据文件。"
WRONG_CODES_SPENT = ("近期输入错误回执码的查询过多，系统暂时不再核对错误的回执码，请核对后稍后再试。"
                     "输入正确回执码的查询不受影响。")
JSON_TOO_LARGE = "请求体过大：最多 {kb} KB。"
JSON_TOO_DEEP = "请求体的 JSON 嵌套过深：最多 {depth} 层。"
TOKEN_INVALID = "令牌无效或已吊销。请核对 Authorization: Bearer 后的令牌，或联系办公室。"
CHANNEL_NEEDS_TOKEN = "渠道“{channel}”仅限持合作单位令牌的调用方使用；匿名提交请使用“网络”渠道（或不填 channel）。"
CHANNEL_NOT_IN_TOKEN = "该令牌不能以渠道“{channel}”提交；可用渠道：{allowed}。"

# What each public status means to the reporter, and how long the step usually takes
# (docs/domain.md: 15 working days to decide on acceptance, about three months to handle).
STATUS_MEANINGS = {
    "submitted": "举报已加密保存，等待工作人员审阅。一般在 15 个工作日内决定是否受理。",
    "accepted": "工作人员已受理并登记，正在确定由哪个部门核查。",
    "rejected": "不属于本平台受理范围或无法核查，理由和建议的反映渠道见下方。此事项已结束，不再接收留言和证据。",
    "transferred": "已转交负责核查的部门（如卫健委、医保局、纪委监委、公安机关）。该部门一般在收到后 3 个工作日内确认。",
    "in_progress": "承办部门正在核查。核查一般需要一至三个月，期间工作人员可能留言向您了解情况。",
    "extended": "核查较复杂，经批准延期一次。",
    "closed": "已办结，处理结果见下方。此事项已结束，不再接收留言和证据。",
}
FINISHED_STATUSES = ("rejected", "closed")
FINISHED = "此事项已结束（不予受理或已办结），不再接收留言和证据。如有新的情况，请重新提交举报。"
