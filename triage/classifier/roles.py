"""Who acts and how: the seed orders its categories by actor (official, hospital leader or key
post, association, user of the insurance fund, company, medical worker) and then by conduct.
These tokens let a linear model weigh the pair, so a company paying a kickback (22) and a doctor
taking one (31, 32) stop looking alike."""
from __future__ import annotations

import re

ROLES: dict[str, str] = {
    # Not 行政 nor 执法: in 行政处罚 and 执法人员 the regulator acts on a firm or a doctor, who is
    # the subject; counting them made firms' penalty decisions (22) look like officials' (3).
    "official": r"卫健委|卫生健康委|卫生局|医保局|医保中心|医疗保障局|药监|监督所|科长|局长|处长|审批|"
                r"公务员|公职人员",
    # 主任 as a post, not the title 主任医师 that ordinary doctors hold.
    "leader": r"院长|书记|副院长|科室主任|科主任|药剂科|设备科|采购科|财务科|总务科|后勤|主任(?!医师)|护理部",
    "association": r"学会|协会|分会|专委会|基金会|秘书长|理事|会长|会员",
    "fund_user": r"医保基金|医保卡|统筹|报销|结算|参保|定点|骗保|套保|住院|挂床|刷卡|医保",
    "company": r"公司|药企|厂家|企业|医药代表|代表|经销商|供应商|cso|业务员|推广",
    "worker": r"医生|大夫|护士|医师|药师|医务人员|主治|专家|坐诊|接诊",
}
CONDUCT: dict[str, str] = {
    "kickback": r"回扣|好处费|返点|提成|返利|返现|佣金",
    "gift": r"红包|礼品|礼金|购物卡|宴请|吃饭|旅游|娱乐|ktv|洗浴|土特产|烟酒",
    "procurement": r"招标|招采|采购|参数|中标|进院|议价|投标|遴选",
    "fund": r"医保|骗保|套取|报销|结算|串换|虚计|虚增|冒名|挂床",
    "data": r"统方|用量|处方数据|处方量|开药量",
    "academic": r"学术|会议|讲课|讲座|科研|课题|临床试验|赞助|捐赠",
    "fees": r"会费|收费|摊派|评比|表彰|认证|培训费|资料费",
    "referral": r"转介|院外|外购|第三方|基因检测|指定药店",
    "power": r"审批|许可|执法|检查|评审|准入|目录|定点评审|拨付",
}
GIVING = re.compile(r"给予|给了|送给|送了|支付|输送|行贿|打点|塞给|返给|发放")
TAKING = re.compile(r"收受|收取|收了|拿了|索要|索取|受贿|接受|笑纳|收下|拿回扣|吃回扣")
_ROLE_RE = {name: re.compile(pattern) for name, pattern in ROLES.items()}
_CONDUCT_RE = {name: re.compile(pattern) for name, pattern in CONDUCT.items()}


def role_tokens(text: str) -> list[str]:
    """Tokens such as 'role:company', 'conduct:kickback', 'company×kickback', 'give×kickback'."""
    lowered = (text or "").lower()
    roles = [name for name, pattern in _ROLE_RE.items() if pattern.search(lowered)]
    conducts = [name for name, pattern in _CONDUCT_RE.items() if pattern.search(lowered)]
    tokens = [f"role:{r}" for r in roles] + [f"conduct:{c}" for c in conducts]
    tokens += [f"{r}×{c}" for r in roles for c in conducts]
    directions = [d for d, pattern in (("give", GIVING), ("take", TAKING)) if pattern.search(lowered)]
    tokens += [f"{d}×{c}" for d in directions for c in conducts]
    tokens += [f"{d}×{r}" for d in directions for r in roles]
    return tokens + _positional(lowered)


def _positional(text: str) -> list[str]:
    """The actor named first (usually the grammatical subject), and the actor named last
    before a verb of giving or taking (who gives, who takes)."""
    found = sorted((m.start(), name) for name, pattern in _ROLE_RE.items() for m in pattern.finditer(text))
    if not found:
        return []
    tokens = [f"first:{found[0][1]}"]
    for direction, pattern in (("giver", GIVING), ("taker", TAKING)):
        verb = pattern.search(text)
        if verb:
            before = [name for start, name in found if start < verb.start()]
            if before:
                tokens.append(f"{direction}:{before[-1]}")
    return tokens
