"""Rule-based extraction of who, where and how much from a report's Chinese text.

Feeds the ledger columns 姓名 and 单位职务 (docs/domain.md, "The lead ledger") and the priority flags
关键少数 / 大额 / 团伙.  Regular expressions only: a report takes well under a millisecond.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

# ~100 most common surnames (plus a few seen in reports).
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
            "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
            "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常葛温康施")
# Surnames that are also common function words (于, 向, 任…): need a clean left boundary.
AMBIGUOUS = set("于向何余任方程段高严钱江石万龙白金史武常温康毛周谢许曾范付侯贺顾")
# Characters after which a name may start (role words, particles, verbs of reporting).
BOUNDARY = set("的是个找给让和跟与叫被对向那这该名人长员任记师生科股局委院司理板医士工报请送称映"
               "告中及由将把令见问知了说有位都也就还又同即系")
NAME_TITLES = ("副院长 院长 副书记 书记 副主任 主任 副局长 局长 副处长 处长 副科长 科长 股长 所长 站长 "
               "部长 护士长 医生 大夫 医师 护士 老板 经理 老师 教授 会长 秘书长 主委 理事长 总").split()
POSTS = ("药剂科主任 设备科科长 科室主任 科主任 副院长 院长 副书记 书记 副主任医师 主任医师 主治医师 "
         "副主任 主任 护士长 副局长 局长 副处长 处长 副科长 科长 股长 所长 站长 院领导 医药代表 药代 医生 "
         "医师 大夫 护士 药师 会计 出纳 总经理 董事长 老板 经理 业务员 采购员 负责人 秘书长 理事长 会长 "
         "副理事长 副会长 主委 部长").split()
KEY_MINORITY_POSTS: tuple[str, ...] = (
    "院长", "副院长", "书记", "副书记", "科室主任", "科主任", "主任", "副主任", "药剂科主任",
    "设备科科长", "局长", "副局长", "处长", "副处长", "科长", "副科长", "股长", "所长", "院领导")
DEPARTMENTS = ("药剂科 设备科 器械科 采购科 信息科 财务科 医务科 医保科 科教科 总务科 后勤科 护理部 药学部 "
               "骨科 骨伤科 心内科 心外科 神经内科 神经外科 普外科 泌尿外科 肝胆外科 胸外科 消化内科 内科 外科 "
               "检验科 影像科 放射科 超声科 病理科 麻醉科 妇产科 产科 妇科 儿科 眼科 口腔科 耳鼻喉科 皮肤科 "
               "急诊科 肿瘤科 呼吸科 消化科 肾内科 血液科 内分泌科 感染科 精神科 心理科 康复科 中医科 针灸科 "
               "推拿科 理疗科 中医理疗科 介入科 重症医学科 手术室 体检中心 "
               "医政医管股 医政股 医政科 药政科 药品科 规划财务处 医药服务管理科 基金监管科").split()
UNIT_SPECIFIC = ("卫健委 卫建委 卫计委 卫健局 卫生局 卫生健康委员会 卫生健康委 卫生健康局 医保局 医疗保障局 "
                 "市场监管局 市场监督管理局 药监局 疾控中心 疾病预防控制中心 卫生监督所 医保中心 卫生院 "
                 "社区卫生服务中心 妇幼保健院 医学会 药学会 护理学会 医师协会 纪委监委 审计局 税务局 "
                 "公安局 大药房").split()
UNIT_GENERIC = ("人民医院 中医院 医院 诊所 门诊部 药房 药店 药厂 公司 集团 学会 协会 分会 医疗机构 机构 "
                "医学院 保健院").split()
UNIT_MODIFIERS = ("人民 中心 中医 中西医结合 第[一二三四五六七八九十]+ 三甲 二甲 民营 私立 公立 附属 口腔 儿童 "
                  "肿瘤 精神病 妇幼 妇产 整形 医美 眼科 骨科 专科 传染病 连锁 医药 医疗器械 器械 制药 生物 "
                  "科技 医疗 基因检测 检测 药品 配送 咨询 商贸 有限 股份 CSO 医师 护理 医学 药学 中医药 定点 "
                  "乡镇 社区 卫生").split()
PLACE_SUFFIXES = ("茶楼 茶馆 酒楼 大酒店 五星级酒店 五星酒店 酒店 饭店 饭馆 餐厅 宾馆 会所 温泉山庄 山庄 农家乐 "
                  "KTV 洗浴中心 洗脚城 足浴店 度假村 渔庄 高尔夫球场 歌厅 棋牌室 麻将馆 包间 包厢 停车场 "
                  "车库 值班室").split()
# Free text allowed after 某 inside a name: word characters minus particles and verbs.
STOP = ("受接违负责比兼次部分指的了是在我们你他她它这那个家说给把被让和与跟就都也还又从到向对为着过得"
        "很不没要去来吃喝请送拿收找将其此些每几各该称系即等及或但而如因里上下前后时开叫用买卖做当想看问"
        "听知道能可已再才只")
FREE = rf"[^\W\d_{STOP}]"


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """Regex alternation, longest first, so 副院长 wins over 院长."""
    return "|".join(sorted(words, key=len, reverse=True))


SUR = f"[{SURNAMES}]"
PERSON_RE = re.compile(
    rf"姓(?P<xing>{SUR})(?=[的，,。）)\s医主院科老先女男]|$)"
    rf"|[小老](?P<nick>{SUR})(?![库病历车同醋子客])(?:{_alt(NAME_TITLES)})?"
    rf"|(?P<mou>{SUR})某某?(?![某县市区省镇乡村医药院公厂企单机学协会集团品牌种些项个家位天年月日处人样事次部科])"
    rf"|(?P<titled>{SUR})(?:{_alt(NAME_TITLES)})")
POST_RE = re.compile(rf"(?:{_alt(POSTS).replace('|院长', '|(?<!医)院长').replace('|书记', '|(?<!秘)书记')})"
                     rf"(?!期(?!间))")
DEPT_RE = re.compile(rf"(?:{_alt(DEPARTMENTS)})(?!医院|分会|学会|协会)")
UNIT_RE = re.compile(rf"(?:某{{1,2}}{FREE}{{0,8}}|[省市县区镇乡]?(?:{_alt(UNIT_MODIFIERS)}){{0,3}})"
                     rf"(?:{_alt(UNIT_SPECIFIC + UNIT_GENERIC)})|[省市县区][一二三四五六七八九]院")
PLACE_FREE = rf"[^\W\d_{STOP}票期间住出包订求提供支付安排核查由并程位一二三四五六七八九十两]"
PLACE_RE = re.compile(rf"某[省市县区镇乡村]|某?{PLACE_FREE}{{0,4}}(?:{_alt(PLACE_SUFFIXES)})"
                      rf"|(?:{_alt(POSTS + DEPARTMENTS)}|医院|院|科室)?办公室"
                      rf"|(?<=[去到赴]){FREE}{{2,3}}?(?=旅游|旅行|玩|度假|考察|疗养|游玩)")
EXCLUDED_NAME_RE = re.compile(r"(?<!被)(?:记录人|接听人|经办人|承办人|来电人|来信人|举报人|原告|申请人)[：:\s]*$")
SELF_INTRO_RE = re.compile(r"(?:我是|我系|本人是|本人系|本人为|自称是?|来电人[系为是]|举报人系)[^，。；！？\n,;]*")
GANG_RE = re.compile(
    r"团伙|犯罪集团|(?<!没)有组织地|有组织(?:骗|犯罪)|等\d+人|等[二三四五六七八九十]+人"
    r"|组织[^。！？\n]{0,15}(?:骗|套取|虚假|冒名|虚构|挂床|假住院|伪造|篡改|参保人|老人|人下乡|刷卡)"
    r"|(?:多人|多名|一伙|一帮人|一批人|好几个人)[^。！？\n]{0,12}(?:骗|套取|冒名|虚假|挂床|假)"
    r"|(?:专门|中介)[^。！？\n]{0,10}(?:收|招揽|招募|拉|伪造|做假|帮人)[^。！？\n]{0,6}"
    r"(?:医保卡|社保卡|身份证|病人|老人|患者|参保|村民|材料|病历)"
    r"|(?:招揽|招募)[^。！？\n]{0,4}(?:参保|老人|病人|患者)|拉(?:人|老人)[^。！？\n]{0,6}住院")

# --- amounts -------------------------------------------------------------------------------
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10_000, "亿": 100_000_000}
MULT = {"亿": 1e8, "万": 1e4, "千": 1e3, None: 1.0}
COUNTERS = "人次例名位台件盒支个份张床家户条所项字步米里吨斤粒片年天月日号岁辆头只本册篇套颗根瓶袋箱包级"
ARABIC_RE = re.compile(r"(?<![\d.,])(\d+(?:,\d{3})*(?:\.\d+)?)(?:([多余]?)([亿万千]))?"
                       r"(?:([多余]?)(元|块钱|块))?")
CN_RE = re.compile(r"(?<![之几零〇一二两三四五六七八九十百千万亿])"
                   r"([零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*)(?:([多余])([万亿]))?"
                   r"(?:([多余]?)(元|块钱|块))?")
MONEY_VERB = set("费交收给返付赔罚卖拿价")


@dataclass(frozen=True)
class Amount:
    text: str
    yuan: float


@dataclass(frozen=True)
class Entities:
    persons: tuple[str, ...]
    units: tuple[str, ...]
    departments: tuple[str, ...]
    posts: tuple[str, ...]
    places: tuple[str, ...]
    amounts: tuple[Amount, ...]

    def ledger_name(self) -> str:
        """姓名 column: the first person reported, or ""."""
        return self.persons[0] if self.persons else ""

    def ledger_unit_post(self) -> str:
        """单位职务 column: first unit + department + post, without repeating a part."""
        unit = self.units[0] if self.units else ""
        post = self.posts[0] if self.posts else ""
        dept = self.departments[0] if self.departments else ""
        if dept and (dept in unit or post.startswith(dept)):
            dept = ""
        out = unit + dept
        return out if post and out.endswith(post) else out + post

    def to_dict(self) -> dict:
        """JSON-serialisable view; amounts become {"text", "yuan"}."""
        return {k: [asdict(v) if isinstance(v, Amount) else v for v in vals]
                for k, vals in vars(self).items()}

    @property
    def largest_amount(self) -> float | None:
        """Largest amount in yuan, or None when the text names no amount."""
        return max((a.yuan for a in self.amounts), default=None)


def parse_chinese_number(s: str) -> float | None:
    """Value of a Chinese numeral (十二万三千 -> 123000; 一万二 -> 12000); None if malformed."""
    total, section, num, last_unit, zero = 0.0, 0.0, None, 1, False
    for ch in s:
        if ch in ("零", "〇"):
            zero = True
        elif ch in CN_DIGITS:
            if num is not None:
                return None  # ranges such as 两三千 are too vague
            num = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            if CN_UNITS[ch] >= last_unit and section:
                return None  # 五百一千 is a range, not a number
            section += (1 if num is None else num) * CN_UNITS[ch]
            num, last_unit = None, CN_UNITS[ch]
        else:  # 万 / 亿
            total = (total + section + (num or 0)) * CN_BIG[ch] if ch == "亿" else \
                total + (section + (num or 0)) * CN_BIG[ch]
            section, num, last_unit = 0.0, None, CN_BIG[ch]
    if num is not None:  # a trailing digit: 一万二 means 12000 unless 零 was written
        section += num * last_unit / 10 if last_unit > 1 and not zero else num
    return total + section


def _cn_amount(m: re.Match, text: str) -> Amount | None:
    """Amount for a Chinese-numeral match, or None when it is not money."""
    num, big, cur = m.group(1), m.group(3), m.group(5)
    end = m.end(1)
    nxt = text[end:end + 1]
    if not (big or cur) and len(num) > 1 and num[-1] in CN_DIGITS and num[-2] in "十百千万亿" \
            and re.match(r"[\u4e00-\u9fff]", nxt) and nxt not in "元块多余左的了":
        num, end = num[:-1], end - 1  # 五万二级 -> 五万
    if cur == "块" and num == "一" and text[m.end():m.end() + 1] != "钱":
        return None  # 一块 = "together"
    if not (big or cur):
        after = text[end:end + 2].lstrip("多余")[:1]
        large = any(u in num for u in "千万亿")
        verb = m.start() > 0 and text[m.start() - 1] in MONEY_VERB and "百" in num
        if not (large or verb) or (after and after in COUNTERS):
            return None
    value = parse_chinese_number(num)
    if value is None:
        return None
    as_written = m.group(0) if big or cur else num
    return Amount(as_written, value * (CN_BIG[big] if big else 1))


def _arabic_amount(m: re.Match, text: str) -> Amount | None:
    """Amount for an Arabic-digit match, or None (years, dates, counts, rates)."""
    digits, mult, cur = m.group(1), m.group(3), m.group(5)
    after = text[m.end():m.end() + 1]
    if not mult and not cur:
        before = text[m.start() - 1:m.start()] if m.start() else ""
        if before not in MONEY_VERB or len(digits) < 2 or (after and after in COUNTERS + "%％.年"):
            return None
    elif not cur and after and after in COUNTERS + "%％":
        return None
    return Amount(m.group(0), float(digits.replace(",", "")) * MULT[mult])


def extract_amounts(text: str) -> list[Amount]:
    """Money amounts in order of appearance (rates, dates and counts are skipped)."""
    found = [(m.start(), _arabic_amount(m, text)) for m in ARABIC_RE.finditer(text)]
    found += [(m.start(), _cn_amount(m, text)) for m in CN_RE.finditer(text)]
    return [a for _, a in sorted(found, key=lambda p: p[0]) if a]


def _left_ok(text: str, start: int, surname: str, guard_all: bool) -> bool:
    """True when a name may begin at `start` (guards against 担任院长, 其余某些…)."""
    if start == 0 or not (guard_all or surname in AMBIGUOUS):
        return True
    prev = text[start - 1]
    return prev in BOUNDARY or not ("\u4e00" <= prev <= "\u9fff")


def extract_persons(text: str) -> list[str]:
    """People named in the text: 张某, 王某某, 李主任, 小张, 姓王的 -> 王某."""
    out = []
    for m in PERSON_RE.finditer(text):
        if EXCLUDED_NAME_RE.search(text[max(0, m.start() - 6):m.start()]):
            continue  # the recorder or the reporter, not the person reported
        if m.group("xing"):
            out.append(m.group("xing") + "某")
        elif m.group("nick") or _left_ok(text, m.start(), m.group(0)[0], bool(m.group("titled"))):
            out.append(m.group(0))
    return out


def _units(text: str) -> list[str]:
    """Institutions; those in the reporter's self-introduction are moved to the end."""
    own = [s.span() for s in SELF_INTRO_RE.finditer(text)]
    mine, others = [], []
    for m in UNIT_RE.finditer(text):
        unit, prev = m.group(0), text[m.start() - 1:m.start()]
        if unit[0] == "某" and prev and prev in SURNAMES + "某":
            continue  # 周某某多次接受… is a name, not an institution
        if unit[0] in "省市县区镇乡" and prev and prev in "辖小社城地园景校全病郊":
            unit = unit[1:]  # 辖区医疗机构 -> 医疗机构
        if unit in UNIT_GENERIC or unit == "有限公司":
            continue  # bare 医院 / 公司 says nothing
        inside = any(a <= m.start() < b for a, b in own)
        (mine if inside else others).append(unit)
    return others + mine


def _posts(text: str, dept_spans: list[tuple[int, int]]) -> list[str]:
    """Posts, skipping the reporter's own (我是…护士长); 骨科主任 gives 主任."""
    own = [s.span() for s in SELF_INTRO_RE.finditer(text)]
    out = []
    for m in POST_RE.finditer(text):
        if any(a <= m.start() < b for a, b in own):
            continue
        post = m.group(0)
        if post.startswith("科") and post != "科长" and any(a < m.start() < b for a, b in dept_spans):
            post = post[1:]
        out.append(post)
    return out


def _places(text: str) -> list[str]:
    """Venues and areas; a leading fragment before 某 is dropped (县城某洗浴中心 -> 某洗浴中心)."""
    out = []
    for m in PLACE_RE.finditer(text):
        place = m.group(0)
        out.append(place[place.rindex("某"):] if "某" in place[1:] else place)
    return out


def _known(value: str | None) -> str:
    """A form field's value, or "" when empty or 不清楚."""
    value = (value or "").strip()
    return "" if value in {"", "不清楚", "不知道", "不详", "未知", "无"} else value


def _unique(items: list[str]) -> tuple[str, ...]:
    """Items without repeats, first occurrence kept."""
    return tuple(dict.fromkeys(i for i in items if i))


def extract_entities(text: str, subject: dict[str, str] | None = None) -> Entities:
    """Who, where and how much; the form's subject fields, when known, come first."""
    subject = subject or {}
    dept_matches = list(DEPT_RE.finditer(text))
    amounts = list({a.text: a for a in extract_amounts(text)}.values())
    return Entities(
        persons=_unique([_known(subject.get("subject_name"))] + extract_persons(text)),
        units=_unique([_known(subject.get("subject_unit"))] + _units(text)),
        departments=_unique([m.group(0) for m in dept_matches]),
        posts=_unique([_known(subject.get("subject_post"))]
                      + _posts(text, [m.span() for m in dept_matches])),
        places=_unique(_places(text)),
        amounts=tuple(amounts))


def priority_flags(entities: Entities, text: str) -> list[str]:
    """关键少数 (key post), 大额 (>= 10万元) and 团伙 (organised ring), in that order."""
    flags = []
    holders = entities.posts + entities.persons
    if any(h.endswith(k) for h in holders for k in KEY_MINORITY_POSTS):
        flags.append("关键少数")
    if (entities.largest_amount or 0) >= 100_000:
        flags.append("大额")
    if GANG_RE.search(text):
        flags.append("团伙")
    return flags
