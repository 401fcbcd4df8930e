"""The data dictionary (数据字典) of the sample company, as code.

One source serves three purposes: the generator writes exactly these columns
in this order, the loaders type and check files against them, and
``datasets/README.md`` shows them to readers (a test keeps the three in step).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of the data dictionary: its name, kind, unit, Chinese name, meaning and allowed levels.

    ``kind`` is one of ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``date``,
    ``category``; ``levels`` lists the values a category column may hold, in a meaningful order.

    Examples
    --------
    >>> tier = Column("city_tier", "int", "tier", "城市等级", "1 = first-tier city ... 4 = fourth tier.")
    >>> tier.name, tier.kind, tier.levels
    ('city_tier', 'int', ())
    >>> TABLES["orders"].columns[-1].levels      # the order status, a category
    ('completed', 'returned', 'cancelled')
    """

    name: str
    kind: str  # str, int, float, bool, datetime, date, category
    unit: str
    zh: str
    text: str
    levels: tuple = ()  # allowed values of a category column, in a meaningful order


@dataclass(frozen=True)
class Table:
    """One table of the data dictionary: name, Chinese name, meaning, its columns (:class:`Column`) in
    file order, whether it is planted truth, and the data folder it is written to.

    Examples
    --------
    >>> visits = Table("visits", "到店记录", "One row per store visit.", (
    ...     Column("visit_id", "str", "", "到店编号", "Key, V + 6 digits."),
    ...     Column("channel", "category", "", "渠道", "Where the customer came in.", ("store", "web"))))
    >>> visits.column_names, visits.folder, visits.truth
    (['visit_id', 'channel'], 'retail', False)
    >>> len(TABLES["stores"].columns)
    6
    """

    name: str
    zh: str
    text: str
    columns: tuple
    truth: bool = False  # planted truth, kept apart from what students analyse
    folder: str = field(default="retail")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(name, kind, unit, zh, text, levels=()):
    return Column(name, kind, unit, zh, text, tuple(levels))


CHANNELS = ("store", "web", "app", "callcentre")
CATEGORIES = ("apparel", "beauty", "food", "home", "electronics", "baby")
SEGMENTS = ("vip", "regular", "occasional", "bargain")
SAT_LEVELS = ("dissatisfied", "satisfied", "highly_satisfied")
LOYALTY_TYPES = ("monopoly", "inertia", "convenience", "price", "incentive", "value")
OUTCOMES = ("resolved_satisfied", "resolved_unsatisfied", "unresolved")
SERVQUAL_DIMENSIONS = {  # SERVQUAL items 1-22 by dimension (Parasuraman et al. 1988)
    "tangibles": range(1, 5),
    "reliability": range(5, 10),
    "responsiveness": range(10, 14),
    "assurance": range(14, 18),
    "empathy": range(18, 23),
}
SOURCES = ("store_members", "web_accounts", "callcentre_contacts")
# The airline case (航空公司客户价值分析): the five customer classes of the textbook.
AIRLINE_CLASSES = ("important_retain", "important_develop", "important_winback", "general", "low_value")
AIRLINE_DIRT = ("none", "missing_fare", "zero_fare", "impossible_age")

_servqual_zh = {"tangibles": "有形性", "reliability": "可靠性", "responsiveness": "响应性",
                "assurance": "保证性", "empathy": "移情性"}
_item_dim = {i: d for d, items in SERVQUAL_DIMENSIONS.items() for i in items}

TABLES = {t.name: t for t in [
    Table("customers", "客户", "One row per registered customer (会员) at the end of the data.", (
        _c("customer_id", "str", "", "客户编号", "Key, C + 7 digits."),
        _c("name", "str", "", "姓名", "Synthetic Chinese name (simplified characters)."),
        _c("gender", "category", "", "性别", "F or M.", ("F", "M")),
        _c("birth_year", "int", "year", "出生年份", "Year of birth."),
        _c("id_number", "str", "", "身份证号", "Synthetic 18-character resident ID number with a valid check digit; region code 99xxxx, which no real region uses."),
        _c("phone", "str", "", "手机号", "Mobile number, 11 digits, all starting 1990 (a block used only to mark them as synthetic)."),
        _c("email", "str", "", "电子邮箱", "E-mail at example.com / example.cn / example.net (reserved, never real)."),
        _c("city", "str", "", "城市", "City of residence now."),
        _c("city_tier", "int", "tier", "城市等级", "1 = first-tier city (一线城市) ... 4 = fourth tier."),
        _c("signup_ts", "datetime", "", "注册时间", "When the customer joined the membership programme."),
        _c("signup_channel", "category", "", "注册渠道", "Where the customer joined.", CHANNELS),
        _c("membership_tier", "category", "", "会员等级", "Tier at the end of the data from net spend in the last 12 months: silver >= 1 500, gold >= 4 000, diamond >= 10 000 CNY.", ("standard", "silver", "gold", "diamond")),
        _c("marketing_consent", "bool", "", "营销许可", "True if the customer opted in to marketing contacts."),
    )),
    Table("stores", "门店", "One row per physical store.", (
        _c("store_id", "str", "", "门店编号", "Key, S + 2 digits."),
        _c("store_name", "str", "", "门店名称", "Store name (Chinese)."),
        _c("city", "str", "", "城市", "City of the store."),
        _c("city_tier", "int", "tier", "城市等级", "1 = first-tier city ... 4 = fourth tier."),
        _c("region", "category", "", "区域", "Sales region.", ("north", "east", "south", "central", "west")),
        _c("opened_date", "date", "", "开业日期", "Opening date."),
    )),
    Table("products", "商品", "One row per product (SKU) in the catalogue.", (
        _c("product_id", "str", "", "商品编号", "Key, P + 4 digits."),
        _c("product_name", "str", "", "商品名称", "Product name (Chinese)."),
        _c("category", "category", "", "品类", "Category.", CATEGORIES),
        _c("category_zh", "str", "", "品类（中文）", "Category in Chinese: 服装/美妆/食品/家居/数码/母婴."),
        _c("subcategory", "str", "", "子品类", "Sub-category (Chinese)."),
        _c("list_price", "float", "CNY", "标价", "List price per unit."),
        _c("unit_cost", "float", "CNY", "单位成本", "Cost of goods per unit."),
    )),
    Table("orders", "订单", "One row per order, cancelled and returned orders included.", (
        _c("order_id", "str", "", "订单编号", "Key, O + 8 digits."),
        _c("customer_id", "str", "", "客户编号", "Who ordered (-> customers)."),
        _c("order_ts", "datetime", "", "下单时间", "When the order was placed."),
        _c("channel", "category", "", "渠道", "Where the order was placed.", CHANNELS),
        _c("store_id", "str", "", "门店编号", "Store of a store order (-> stores); empty for other channels."),
        _c("payment_method", "category", "", "支付方式", "How the customer paid.", ("alipay", "wechat_pay", "bank_card", "cash", "cash_on_delivery")),
        _c("status", "category", "", "订单状态", "completed (完成), returned (退货: paid, then refunded in full) or cancelled (取消: never paid).", ("completed", "returned", "cancelled")),
    )),
    Table("order_lines", "订单明细", "One row per product in an order.", (
        _c("order_id", "str", "", "订单编号", "-> orders."),
        _c("line_no", "int", "", "行号", "1, 2, ... within the order."),
        _c("product_id", "str", "", "商品编号", "-> products."),
        _c("quantity", "int", "units", "数量", "Units bought."),
        _c("unit_price", "float", "CNY", "单价", "List price per unit when ordered."),
        _c("discount_rate", "float", "share", "折扣率", "Share of the list value given as discount, 0-1."),
        _c("net_amount", "float", "CNY", "实付金额", "Amount charged: quantity x unit_price x (1 - discount_rate), to rounding. Refunded in full if the order was returned; never paid if cancelled."),
        _c("cost", "float", "CNY", "成本", "Cost of goods of the line: quantity x unit cost."),
    )),
    Table("interactions", "客户互动记录", "The contact log (接触点): one row per contact between the company and a customer.", (
        _c("interaction_id", "str", "", "互动编号", "Key, I + 8 digits."),
        _c("customer_id", "str", "", "客户编号", "-> customers."),
        _c("interaction_ts", "datetime", "", "互动时间", "When the contact happened."),
        _c("channel", "category", "", "接触渠道", "Medium of the contact.", ("sms", "email", "app_push", "phone", "online_chat", "wechat", "store")),
        _c("initiated_by", "category", "", "发起方", "company (企业发起) or customer (客户发起).", ("company", "customer")),
        _c("purpose", "category", "", "目的", "Why the contact happened.", ("promotion", "enquiry", "service", "complaint", "feedback")),
        _c("campaign_id", "str", "", "营销活动编号", "Campaign of a promotion contact (-> campaigns); empty otherwise."),
        _c("cost", "float", "CNY", "接触成本", "Cost of the contact to the company."),
        _c("responded", "bool", "", "是否响应", "Company-initiated contacts: whether the customer opened, clicked or replied. Empty for customer-initiated contacts."),
    )),
    Table("complaints", "客户投诉", "One row per complaint.", (
        _c("complaint_id", "str", "", "投诉编号", "Key, Q + 6 digits."),
        _c("customer_id", "str", "", "客户编号", "-> customers."),
        _c("order_id", "str", "", "订单编号", "The order complained about (-> orders)."),
        _c("opened_ts", "datetime", "", "投诉时间", "When the complaint was made."),
        _c("closed_ts", "datetime", "", "结案时间", "When the complaint was closed; empty if it is still open (unresolved)."),
        _c("channel", "category", "", "投诉渠道", "How the complaint was made.", ("phone", "online_chat", "wechat", "store", "email")),
        _c("category", "category", "", "投诉类别", "What went wrong.", ("product_quality", "delivery", "service_attitude", "billing", "misuse", "excessive_expectation")),
        _c("cause", "category", "", "投诉原因方", "company (企业原因: product or service failure) or customer (客户原因: misuse, excessive expectations).", ("company", "customer")),
        _c("severity", "category", "", "严重程度", "Severity.", ("low", "medium", "high")),
        _c("outcome", "category", "", "处理结果", "resolved_satisfied (解决且满意), resolved_unsatisfied (解决但不满意), unresolved (未解决).", OUTCOMES),
        _c("compensation", "float", "CNY", "补偿金额", "Compensation paid to the customer."),
    )),
    Table("survey", "满意度调查", "One row per survey respondent (a random sample of customers, May-June 2025). Likert scales: 1 = strongly disagree ... 7 = strongly agree.", (
        _c("response_id", "str", "", "问卷编号", "Key, R + 6 digits."),
        _c("customer_id", "str", "", "客户编号", "-> customers."),
        _c("survey_date", "date", "", "调查日期", "Date answered."),
        _c("overall_expectation", "int", "1-10", "总体期望", "a: how good the customer expected the company to be."),
        _c("overall_perception", "int", "1-10", "总体感知", "b: how good the customer found it. Satisfaction index c = b / a."),
        _c("satisfaction", "int", "1-5", "总体满意度", "Overall satisfaction, 1 = very dissatisfied ... 5 = very satisfied."),
        *[_c(f"exp_{i:02d}", "int", "1-7", f"期望{i}（{_servqual_zh[_item_dim[i]]}）", f"SERVQUAL item {i} ({_item_dim[i]}): expectation of an excellent company.") for i in range(1, 23)],
        *[_c(f"per_{i:02d}", "int", "1-7", f"感知{i}（{_servqual_zh[_item_dim[i]]}）", f"SERVQUAL item {i} ({_item_dim[i]}): perception of this company.") for i in range(1, 23)],
        *[_c(f"imp_{d}", "int", "points", f"重要性：{zh}", f"Importance of {d}: points out of 100 shared over the five dimensions.") for d, zh in _servqual_zh.items()],
        _c("recommend", "int", "0-10", "推荐意愿", "How likely to recommend us to a friend (the NPS question)."),
        _c("repurchase_intention", "int", "1-5", "再购意愿", "I will buy here again."),
        _c("attitude_like", "int", "1-5", "品牌喜爱", "I like this company more than others."),
        _c("attitude_prefer", "int", "1-5", "品牌偏好", "I would choose this company even if a competitor were slightly cheaper."),
        _c("switching_cost", "int", "1-5", "转换成本", "Changing to another retailer would cost me a lot of effort."),
        _c("main_reason", "category", "", "主要购买原因", "Main reason for buying here: monopoly (no real alternative, 垄断), inertia (habit, 惰性), convenience (方便), price (价格), incentive (points and rewards, 激励), value (great value, 超值).", LOYALTY_TYPES),
    )),
    Table("campaigns", "营销活动", "One row per marketing campaign: seasonal promotion waves and one randomised experiment.", (
        _c("campaign_id", "str", "", "活动编号", "Key."),
        _c("name", "str", "", "活动名称", "Name (Chinese)."),
        _c("start_date", "date", "", "开始日期", "First day."),
        _c("end_date", "date", "", "结束日期", "Last day."),
        _c("channel", "str", "", "渠道", "Contact channel(s)."),
        _c("offer", "str", "", "优惠内容", "What was offered."),
        _c("cost_per_contact", "float", "CNY", "单次接触成本", "Cost of one contact (message, coupon handling)."),
        _c("is_experiment", "bool", "", "是否实验", "True for a randomised experiment with a control group (对照组)."),
    )),
    Table("campaign_assignment", "活动分组", "The randomised experiment: one row per eligible customer (opted in, bought in the 12 months before the start).", (
        _c("campaign_id", "str", "", "活动编号", "-> campaigns."),
        _c("customer_id", "str", "", "客户编号", "-> customers."),
        _c("group", "category", "", "组别", "treatment (实验组, contacted with the offer) or control (对照组, not contacted), assigned at random.", ("treatment", "control")),
        _c("responded", "bool", "", "是否响应", "Placed at least one order that was not cancelled during the campaign window."),
        _c("revenue", "float", "CNY", "活动期收入", "Net revenue in the campaign window: completed orders only (returned and cancelled orders count 0)."),
    )),
    Table("store_members", "门店会员系统", "Identification silo 1 (信息孤岛): the store loyalty system, as typed at the till. The same person may appear twice, with noise.", (
        _c("member_id", "str", "", "会员卡号", "Key, M + 7 digits."),
        _c("store_id", "str", "", "开卡门店", "Store where the card was issued."),
        _c("name", "str", "", "姓名", "As typed: simplified or traditional characters, typos."),
        _c("phone", "str", "", "手机号", "As typed: spaces, dashes, +86, full-width digits; may be an old number or missing."),
        _c("id_number", "str", "", "身份证号", "Often missing; may carry a typo."),
        _c("email", "str", "", "电子邮箱", "Often missing; any case."),
        _c("city", "str", "", "城市", "City at sign-up; stale if the customer moved."),
        _c("joined_date", "date", "", "开卡日期", "Date of the card (YYYY-MM-DD)."),
    ), folder="retail"),
    Table("web_accounts", "网店账户", "Identification silo 2: web shop and app accounts.", (
        _c("account_id", "str", "", "账户编号", "Key, W + 7 digits."),
        _c("username", "str", "", "用户名", "Login name (pinyin and digits)."),
        _c("real_name", "str", "", "真实姓名", "Often missing; simplified or traditional characters, typos."),
        _c("email", "str", "", "电子邮箱", "Login e-mail, any case."),
        _c("phone", "str", "", "手机号", "As entered; may be missing."),
        _c("city", "str", "", "收货城市", "Shipping city; stale if the customer moved."),
        _c("created_ts", "datetime", "", "注册时间", "When the account was created."),
    ), folder="retail"),
    Table("callcentre_contacts", "呼叫中心客户记录", "Identification silo 3: the call-centre CRM.", (
        _c("contact_id", "str", "", "联系人编号", "Key, K + 7 digits."),
        _c("caller_name", "str", "", "来电人姓名", "As heard and typed by the agent: typos, traditional characters."),
        _c("phone", "str", "", "来电号码", "Calling number in any format."),
        _c("id_number", "str", "", "身份证号", "Given for verification; sometimes missing or mistyped."),
        _c("city", "str", "", "城市", "City the caller gave."),
        _c("first_call_date", "str", "", "首次来电日期", "Date as the call-centre system writes it: YYYY/M/D."),
    ), folder="retail"),
    Table("customer_truth", "客户真实参数（答案）", "Planted truth per customer: what the generator drew. For tests, instructors and answer keys, not for analysis.", (
        _c("customer_id", "str", "", "客户编号", "-> customers."),
        _c("segment", "category", "", "潜在细分", "Latent segment.", SEGMENTS),
        _c("purchase_rate", "float", "purchases/week", "购买率", "Poisson repeat-purchase rate lambda while active (in promotion-adjusted weeks)."),
        _c("dropout_prob", "float", "probability", "流失概率", "Probability p of becoming inactive after each repeat purchase."),
        _c("mean_spend", "float", "CNY/order", "平均客单价", "Expected net amount per order, p / nu of the Gamma-Gamma model."),
        _c("satisfaction_level", "category", "", "满意水平", "Latent satisfaction.", SAT_LEVELS),
        _c("loyalty_type", "category", "", "忠诚类型", "Latent loyalty driver (textbook's six types).", LOYALTY_TYPES),
        _c("attitude_high", "bool", "", "态度忠诚", "Latent attitudinal loyalty (Dick & Basu)."),
        _c("first_purchase_ts", "datetime", "", "首次购买时间", "Empty for customers who never bought."),
        _c("failure_ts", "datetime", "", "首次服务失误时间", "Time of the first service failure (the customer became unhappy); empty if none."),
        _c("complained", "bool", "", "是否投诉", "Whether the customer complained about that failure."),
        _c("left_after_failure", "bool", "", "因失误流失", "Whether the failure made the customer leave at once."),
        _c("dropout_ts", "datetime", "", "流失时间", "When the customer became inactive; empty if still active at the end."),
    ), truth=True, folder="retail_truth"),
    Table("identity_map", "身份映射（答案）", "Planted truth: which customer each silo record belongs to.", (
        _c("source", "category", "", "来源系统", "Silo table.", SOURCES),
        _c("record_id", "str", "", "记录编号", "member_id / account_id / contact_id in that table."),
        _c("customer_id", "str", "", "客户编号", "The true customer (-> customers)."),
    ), truth=True, folder="retail_truth"),
    Table("airline_members", "航空公司会员", "The airline loyalty programme (常旅客计划): one row per member, measured over a two-year observation window (观测窗口) ending on observation_end.", (
        _c("member_id", "str", "", "会员编号", "Key, A + 6 digits, numbered in order of joining."),
        _c("join_date", "date", "", "入会日期", "Date the member joined the programme (FFP_DATE of the classic case)."),
        _c("first_flight_date", "date", "", "首次飞行日期", "Date of the member's first flight with the airline."),
        _c("gender", "category", "", "性别", "F or M; empty when not given.", ("F", "M")),
        _c("age", "int", "years", "年龄", "Age as entered at sign-up; a few impossible values (over 100) are typing errors."),
        _c("city", "str", "", "工作城市", "City where the member works; empty when not given."),
        _c("tier", "category", "", "会员卡级别", "Card tier at the end of the window, from the points: standard 普卡, silver 银卡 (>= 15 000 points), gold 金卡 (>= 40 000).", ("standard", "silver", "gold")),
        _c("observation_end", "date", "", "观测窗口结束日期", "Last day of the observation window (LOAD_TIME); the same for every member."),
        _c("last_flight_date", "date", "", "末次飞行日期", "Date of the member's last flight in the window."),
        _c("flight_count", "int", "flights", "飞行次数", "Flights in the observation window (FLIGHT_COUNT); at least 2."),
        _c("flown_km", "int", "km", "总飞行公里数", "Kilometres flown in the window (SEG_KM_SUM)."),
        _c("avg_discount", "float", "ratio", "平均折扣率", "Average discount coefficient of the tickets flown, weighted by distance (avg_discount): price paid / full economy fare; 1 = full fare, above 1 = business or first class, 0.5 = half price."),
        _c("points", "int", "points", "总积分", "Points earned in the window (Points_Sum): about 1 per km, more for full fares and business class, plus partner points."),
        _c("fare_yr1", "float", "CNY", "第一年票价收入", "Fares paid in the first year of the window (SUM_YR_1); 0 if the member did not fly that year; empty where the fare was not recorded."),
        _c("fare_yr2", "float", "CNY", "第二年票价收入", "Fares paid in the second year of the window (SUM_YR_2), as fare_yr1."),
    ), folder="airline"),
    Table("airline_member_truth", "航空会员真实类别（答案）", "Planted truth per airline member: the customer class the generator drew and the dirt it planted. For tests, instructors and answer keys, not for analysis.", (
        _c("member_id", "str", "", "会员编号", "-> airline_members."),
        _c("planted_class", "category", "", "真实客户类别", "important_retain 重要保持客户, important_develop 重要发展客户, important_winback 重要挽留客户, general 一般客户, low_value 低价值客户.", AIRLINE_CLASSES),
        _c("dirt", "category", "", "脏数据类型", "none, or the error planted in the member's row: missing_fare (a fare not recorded), zero_fare (flights but both fares 0), impossible_age (over 100).", AIRLINE_DIRT),
    ), truth=True, folder="airline_truth"),
]}


def markdown_table(table: Table) -> str:
    """The dictionary of one table as a Markdown table (how ``datasets/README.md`` shows it).

    Examples
    --------
    >>> visits = Table("visits", "到店记录", "One row per store visit.", (
    ...     Column("visit_id", "str", "", "到店编号", "Key, V + 6 digits."),
    ...     Column("channel", "category", "", "渠道", "Where the customer came in.", ("store", "web"))))
    >>> print(markdown_table(visits))
    | column | 中文 | type | unit | meaning |
    |---|---|---|---|---|
    | `visit_id` | 到店编号 | str |  | Key, V + 6 digits. |
    | `channel` | 渠道 | category: store, web |  | Where the customer came in. |
    """
    lines = ["| column | 中文 | type | unit | meaning |", "|---|---|---|---|---|"]
    for c in table.columns:
        kind = c.kind + (": " + ", ".join(c.levels) if c.levels else "")
        lines.append(f"| `{c.name}` | {c.zh} | {kind} | {c.unit} | {c.text} |")
    return "\n".join(lines)


def render_dictionary(text: str) -> str:
    """Replace every ``<!-- columns: NAME -->`` ... ``<!-- /columns -->`` block in ``text``
    with the current dictionary of table NAME.

    Examples
    --------
    >>> text = "# Stores\\n<!-- columns: stores -->\\n(out of date)\\n<!-- /columns -->\\nMore text."
    >>> print(render_dictionary(text))
    # Stores
    <!-- columns: stores -->
    | column | 中文 | type | unit | meaning |
    |---|---|---|---|---|
    | `store_id` | 门店编号 | str |  | Key, S + 2 digits. |
    | `store_name` | 门店名称 | str |  | Store name (Chinese). |
    | `city` | 城市 | str |  | City of the store. |
    | `city_tier` | 城市等级 | int | tier | 1 = first-tier city ... 4 = fourth tier. |
    | `region` | 区域 | category: north, east, south, central, west |  | Sales region. |
    | `opened_date` | 开业日期 | date |  | Opening date. |
    <!-- /columns -->
    More text.
    """
    import re

    def block(match):
        return f"<!-- columns: {match.group(1)} -->\n{markdown_table(TABLES[match.group(1)])}\n<!-- /columns -->"

    return re.sub(r"<!-- columns: (\w+) -->.*?<!-- /columns -->", block, text, flags=re.S)
