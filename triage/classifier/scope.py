"""In doubt, keep: words that name a conduct of the 32 categories.

A text that uses one of them (收受, 回扣, 骗取医保, 开除党籍 …) is never marked 不属于受理范围
by the model: a person reads every report, and a real case turned away is worse than a
complaint kept. Real complaints that are not corruption (queues, attitude, prices, care) rarely
use these words; official write-ups of real cases nearly always do. The model's own threshold
decides only for texts that use none of them.
"""
from __future__ import annotations

import re

from triage.classifier.script import simplified

KEEP_TERMS = re.compile("|".join((
    # money changing hands improperly
    r"回扣|受贿|行贿|贿赂|索贿|索要|收受|好处费|红包|礼金|购物卡|收礼|送礼|提成|返点|返利|返现",
    r"利益输送|输送利益|谋取|谋利|牟利|以权谋私|权钱交易|吃拿卡要|违规收取|摊派|强索|敛财",
    r"送(?:了|给)[^，。；]{0,10}\d+(?:\.\d+)?万",
    r"贪污|挪用|侵占|私分|小金库",
    # insurance-fund fraud
    r"骗保|骗取|套取|套刷|虚开|虚记|虚增|虚构|虚假住院|挂床|挂空床|串换|冒名|冒用|倒卖|统方",
    r"违规使用医保|违法违规使用医保|医保基金[^，。；]{0,4}违规|诈骗",
    # the same conducts in a patient's plain words: sent to a named shop or clinic to buy the
    # drugs (29), daily goods paid with the insurance card (17), insured drugs sold on (17)
    r"指定[^，。；]{0,10}(?:药店|药房|诊所)|院外(?:购药|买药)|外购药|(?:到|去|在)[^，。；]{0,8}(?:外面|外边|楼下|对面|私人)[^，。；]{0,8}(?:药店|药房|诊所)[^，。；]{0,4}(?:买|拿|购)",
    r"医保卡[^？?]{0,80}(?:大米|食用油|米、油|日用品|生活用品|化妆品)|(?:大米|食用油|日用品|生活用品|化妆品)[^？?]{0,80}医保卡|药贩子|超量开(?:药|具)",
    # the reporter says the discipline commission has it or was told
    r"(?:举报|反映)到?[^，。；]{0,6}纪(?:委|检)|向[^，。；]{0,8}纪(?:委|检)[^，。；]{0,6}(?:举报|反映)",
    # rigged purchases
    r"排他性|量身定|未按规定[^，。；]{0,4}(?:公开)?招标|未(?:经|重新|依法|公开)?招标|规避(?:公开)?招标|化整为零|评标条件|围标|串标|控标|陪标",
    r"拆分[^，。；]{0,12}(?:项目|采购|招标)",
    # care the fund paid for that was not needed (audit and fund-case findings)
    r"过度(?:诊疗|检查|医疗|治疗)",
    # sanctions that only follow misconduct
    r"留置|开除党籍|开除公职|留党察看|党内(?:严重)?警告|政务(?:警告|记过|记大过|降级|撤职)|违纪|商业贿赂",
)))


def keeps(text: str) -> bool:
    """Whether the text names a conduct, so that it stays in scope whatever the model says."""
    return KEEP_TERMS.search(simplified(text or "")) is not None
