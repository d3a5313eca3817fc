"""The sentences of the problems a run reports, in each language: the Config tabs' and the
Targets tab's, the engine's, the notifications', the cell-limit warning and a ``--config`` TOML
file's own (its keys stay English in both: they are what the file is written in).

Same keys in both languages, each a ``str.format`` template whose placeholders are the same in
both. A sentence names what is wrong and how to fix it; where it is (``'评分卡'!C2``) is kept
apart, in the Problem's place. Keys starting ``noun.`` or ``ex.`` are words put into other
sentences (what a number is for, an example of it).
"""

from __future__ import annotations

from collections.abc import Sequence

PROBLEMS: dict[str, dict[str, str]] = {
    "en": {
        # words put into sentences
        "noun.probability": "probability", "noun.stall_days": "stall days",
        "noun.follow_up_days": "follow-up days", "noun.weight": "weight",
        "noun.points": "points", "noun.stage": "Stage",
        "ex.probability": "40 or 40%", "ex.weight": "2 or 0.5",
        "nothing": "nothing", "none": "none", "the_default": "the default",
        "and": "and", "or": "or", "list_sep": ", ", "or_sep": " or ",
        "closest": " (the closest is {name})",
        "closest_quoted": "; the closest is '{name}'", "none_close": "; none is close",
        "and_more": "{cells} and {more} more",
        # numbers in a Config row
        "not_number": 'The {what} "{value}" is not a number. Type a number such as {example}.',
        "days": 'The {what} must be a whole number from 0 to {high} (ten years), such as 14, '
                'not "{value}".',
        "outside": 'The {what} "{value}" is outside {low} to {high}. Type a {what} from {low} '
                   "to {high}, such as {example}.",
        "outside_plural": 'The {what} "{value}" are outside {low} to {high}. Type {what} from '
                          "{low} to {high}, such as {example}.",
        # Settings
        "setting_twice": "The setting {setting} is set twice (also at {other}); this later row "
                         "wins. Keep one row.",
        "setting_unknown": "sheetfunnel does not know the setting {setting}; it is ignored. Check "
                           "the spelling.",
        "grades_order": "The grade thresholds must fall from A to C (now A {a}, B {b}, C {c}). "
                        "Make grade_A larger than grade_B and grade_B larger than grade_C.",
        "no_column_role": "There is no column role called {wanted}, so {setting} is ignored. Use "
                          "one of: {roles}.",
        "no_tab_role": "There is no tab role called {wanted}, so {setting} is ignored. Use one "
                       "of: {roles}.",
        "no_input_tab": "There is no input tab role called {wanted}, so {setting} is ignored. Use "
                        "column.<tab>.<column> with the tab one of: {tabs}.",
        "no_tab_column_role": "The {tab} tab has no column role called {wanted}, so {setting} is "
                              "ignored. Use one of: {roles}.",
        "yes_no": 'The setting {name} must be yes or no, not "{value}".',
        "choice": '{name} must be {allowed}, not "{value}".',
        "timezone": '"{value}" is not a time zone sheetfunnel knows: today is counted in UTC. '
                    "Type an IANA name such as Asia/Shanghai or Europe/Berlin.",
        "money_unit": "The setting money_unit must be 万 (amounts on the Summary in 万, ten "
                      'thousands) or blank, not "{value}".',
        "grade_number": 'The setting {name} must be a number such as 80, not "{value}".',
        "setting_days": "The setting {name} must be a whole number from 0 to {high} (ten "
                        'years), such as 7, not "{value}".',
        "setting_hours": "The setting {name} must be a number from 0 to {high} (a year), such "
                         'as 2, not "{value}".',
        "setting_whole": "The setting {name} must be a whole number from {low} to {high}, "
                         'such as {example}, not "{value}".',
        "setting_number": "The setting {name} must be a number from {low} to {high}, such as "
                          '{example}, not "{value}".',
        "grade_range": "The setting {name} must be a number from 0 to {high} ({scale}), not "
                       '"{value}".',
        "scale_raw": "the largest score the Scoring tab can give on the raw scale",
        "scale_percent": "the percent scale",
        "grade_place": "{name} {value} ({where})",
        "graded_d": "every deal is graded D",
        "graded_none": "no deal is graded {letters}",
        "unreachable": "score_scale is raw and the largest score the Scoring tab can give is "
                       "{best}, but {grades} is above it, so {reached}. Set grade_A, grade_B "
                       "and grade_C in Settings to scores from 0 to {best}.",
        "unreachable_many": "score_scale is raw and the largest score the Scoring tab can give "
                            "is {best}, but {grades} are above it, so {reached}. Set grade_A, "
                            "grade_B and grade_C in Settings to scores from 0 to {best}.",
        "week_start": 'The setting week_start must be a day of the week such as monday, not '
                      '"{value}".',
        "funnel_mode": 'The setting funnel_mode must be cumulative or strict, not "{value}".',
        "working_days": "The setting working_days must list days of the week such as mon-fri "
                        'or "mon, tue, wed, thu", not "{value}".',
        "setting_dates": "The setting {name} must list dates such as 2026-10-01, 2026-10-02; "
                         '"{value}" is not one.',
        # Stages
        "stage_twice": 'The stage "{name}" is named twice (also at {other}). Give each stage '
                       "one row.",
        "stage_no_name": "This row names no Stage, so it is ignored. Type the stage name, or "
                         "clear the row.",
        "no_open_stage": "There is no open stage. Give at least one stage the Kind open.",
        "stage_kind": 'The kind "{kind}" of stage {name} is not known. Use open, won or lost.',
        "no_probability": "The stage {name} has no probability. Type one from 0 to 100, such "
                          "as 40 or 40%.",
        "probability_range": 'The probability of {name} must be between 0 and 100, not '
                             '"{value}".',
        # Scoring
        "rule_no_dimension": "This rule names no Dimension. Type the dimension it belongs to, "
                             "such as Budget.",
        "dimension_no_field": "The dimension {name} names no Field. Type the column it scores.",
        "dimension_no_weight": "The dimension {name} has no weight. Type a number such as 2 or "
                               "0.5.",
        "weights_zero": "Every weight is 0, so no deal can score. Give at least one dimension "
                        "a weight above 0.",
        "two_fields": "The dimension {name} uses two fields ({first} and {second}). Give one "
                      "dimension one field.",
        "two_weights": "The dimension {name} has two weights ({first} and {second}). Give "
                       "every row of a dimension the same weight, or leave the later ones blank.",
        "match": 'The match "{match}" is not understood. Use = text, in a, b, c, > n, >= n, '
                 "< n, <= n, n..m, * or value.",
        "no_points": "The rule for {name} has no points. Type the points it gives, such as 10.",
        # Criteria
        "check_no_field": "This check names no Field. Type the column it checks, such as "
                          "Budget.",
        "check_unknown": 'The check "{check}" is not known. Use filled, =, !=, >, >=, <, <=, '
                         "in, not in or on or before today.",
        "default_skipped": 'The default entry criteria for the stage "{stage}" are skipped: '
                           "your Stages tab has no such stage. Add a Criteria tab for your "
                           "stages.",
        "defaults_skipped": "{count} default entry criteria are skipped: your Stages tab has "
                            "no stage {names}. Add a Criteria tab for your stages.",
        "check_no_stage": "This check names no Stage. Type the stage it guards, as written in "
                          "the Stages tab.",
        "check_stage_unknown": 'The stage "{stage}" is not in the Stages tab. Use one of its '
                               "stage names.",
        "check_no_value": "This check needs a Value to compare with. Type one.",
        "check_value": '"{value}" is not a number or a date, so it cannot be compared. Type a '
                       "number such as 1000 or a date such as 2026-01-31.",
        # Fields against the workbook's columns
        "default_column": 'The default {rules} use the column "{name}", which is not in the '
                          "Opportunities or Customers tab, {effect}. Add the column, or a {tab} "
                          "tab of your own.",
        "effect_check": "so that check is skipped", "effect_blank": "so it counts as blank",
        "no_column": 'There is no column "{name}" in the Opportunities or Customers '
                     "tab{hint}. Add that column or fix the name.",
        "default_columns": "{count} default {rules} name columns this sheet lacks: {names} — "
                           "{effect}. Add the columns, or a {tab} tab of your own.",
        "no_columns": "{count} {rules} name columns the Opportunities and Customers tabs lack: "
                      "{names} ({cells}). Add the columns or fix the names.",
        "rules.stages": "stages", "rules.scoring": "scoring rules", "rules.criteria": "criteria",
        "default.stages": "stages", "default.scoring": "scoring", "default.criteria": "criteria",
        "effect.stages": "their dates count as blank", "effect.scoring": "they score 0",
        "effect.criteria": "they are skipped",
        "mapping_unused": 'No {tabs} header is called "{header}"{hint}, so this column mapping '
                          "is not used. Fix the name.",
        # a Config tab's header row
        "two_columns": "The {tab} tab has two columns named {name}; only the first is read. "
                       "Rename or remove the other.",
        "missing_column": "The {tab} tab has no {column} column (headers found: "
                          "{headers}{near}): {fix}.",
        "rename_header": "rename that header to {name} (or {other})",
        "stage_fix": "rename that header to Stage, or add the Settings row column.stage = <your "
                     "header>",
        "no_such_tab": 'There is no tab named "{name}"{near}, so tab.{role} is not used. Fix '
                       "the name.",
        # Targets
        "targets_header": "The {tab} tab needs the columns Owner, Period, Metric and Target in "
                          "its first row; {missing} is missing. Add the header (负责人 | 周期 | "
                          "指标 | 目标 in Chinese).",
        "target_owner": "The Owner is blank: type a rep's name as the Opportunities tab has "
                        "it, or Team (团队).",
        "target_period": 'The Period "{value}" is not a month or a quarter: type 2026-11 or '
                         "2026-Q4.",
        "target_stages": 'The Metric "{value}" names {stages}, not a stage of the Stages tab; '
                         "type the stage names as the Stages tab has them.",
        "target_metric": 'The Metric "{value}" is not one sheetfunnel knows: type won amount, '
                         "won deals, new deals or conversion A → B with two stages of the "
                         "Stages tab (赢单金额, 赢单数, 新增商机, 转化率 A → B).",
        "target_percent": 'The Target "{value}" must be a percent from 0 to 100, such as 30 or '
                          "30%.",
        "target_number": 'The Target "{value}" must be a number of 0 or more, such as 500000.',
        # the join of Opportunities to Customers (engine/joins.py)
        "join.none_named": "No deal names a customer, so none is joined to the Customers tab.",
        "join.count": "{linked} of {naming} deals that name a customer find it in the "
                      "Customers tab{lacking}.",
        "join.not_there": " (not there: {names})",
        "join.zero": "The Scoring dimension {name} gives 0 points to every deal: {why}",
        "join.blank_field": "its Field's column is blank for every deal. Fill it in, or point "
                            "the Field at the column that holds it.",
        "join.no_match": "no rule matches what the deals hold. Check its Match cells against "
                         "the values in its Field's column.",
        "join.reads": "; the Scoring dimensions {names} ({cells}) read Customers fields, so they "
                      "score 0 for every deal",
        "join.no_key": "The {tab} tab has no Customer ID column (headers: {headers}), so no deal "
                       "is joined to its customer: Tier, Won Total and Open Pipeline stay "
                       "empty{reads}. Add the Settings row column.{role}.customer_id = <the "
                       "header that holds the key the {other} tab uses>.",
        "join.none_found": "None of the {naming} deals that name a customer in this column "
                           "finds it in the Customers tab's key column {column} (first missing: "
                           "{missing}): Tier, Won Total and Open Pipeline stay empty{reads}. "
                           "Make both columns hold the same keys, or point "
                           "column.customers.customer_id (or column.opportunities.customer_id) "
                           "in Settings at the columns that do.",
        "tab.customers": "Customers", "tab.opportunities": "Opportunities",
        # the win model's fields (engine/learn.py)
        "model.no_column": "model_fields names “{name}”, which is no column of the "
                           "Opportunities or Customers tab; the win model leaves it out. Fix "
                           "the name.",
        "model.at_closing": "“{header}” is known only when a deal closes (or is written by "
                            "sheetfunnel), so the win model never learns from it. Remove it "
                            "from Settings model_fields.",
        "model.filled_late": "“{header}” is filled on {closed} of closed deals but only "
                             "{open} of open ones, which looks like a field filled at closing; "
                             "the win model leaves it out. Fill it earlier in the sale, or "
                             "remove it from Settings model_fields.",
        # what the engine reads (engine/evaluate.py)
        "activity.date": "{reason} (the activity's date is ignored).",
        # a reader's reason for a cell it cannot read
        "reason.not_number": "{value} is not a number",
        "reason.not_amount": "{value} is not a number or amount",
        "reason.too_big": "{value} is not a number a spreadsheet can hold",
        "reason.not_real_date": "{value} is not a real date",
        "reason.date_range": "{value} is not a date from {first} to {last}",
        "reason.ambiguous_date": "{value} could be day/month or month/day; set date_order (dmy "
                                 "or mdy) in Settings or type the date as YYYY-MM-DD",
        "reason.not_date_try": "{value} is not a date (try YYYY-MM-DD)",
        "reason.not_date": "{value} is not a date",
        # Google's cell limit (workbook/base.py)
        "cell_limit.where": "spreadsheet",
        "cell_limit": "After this run the spreadsheet has {cells} cells, {share} of Google's "
                      "limit of {limit}; a run that needs more rows is refused past it. Delete "
                      "unused rows and columns (or old tabs) to make room.",
        # the Notify tab and the notification Settings (notify/people.py, notify/settings.py)
        "notify.role": 'The role "{role}" of {name} is not rep, manager or admin (销售/经理/'
                       "管理员); this row is skipped.",
        "notify.no_channel": "{name} has no Channel; name a channel of the notify config.",
        "notify.channel": 'The channel "{channel}" of {name} is not in the notify config (it '
                          "has: {known}). Add it there or fix the name.",
        "notify.channel_sep": ", ",
        "notify.digest_at": 'Digest At "{value}" of {name} is no time of day; type one such as '
                            "08:30.",
        "notify.quiet": 'Quiet Hours "{value}" of {name} is no span; type one such as '
                        "21:00-08:00 (or none).",
        "notify.quiet_hours": 'quiet_hours must be a span such as 21:00-08:00, not "{value}"; '
                              "21:00-08:00 is used.",
        "notify.quiet_weekends": 'quiet_weekends must be yes or no, not "{value}"; yes is '
                                 "used.",
        "notify.renotify_days": 'renotify_days must be whole days such as 1, 3, 7, not '
                                '"{value}"; 1, 3, 7 is used.',
        "notify.escalate_after_days": "escalate_after_days must be a whole number of days "
                                      'from 0 to 3650, not "{value}"; 7 is used.',
        # a --config TOML file's own problems (config/sections.py)
        "toml.line": "{source}: line {line}",
        "toml.syntax": "The file cannot be read as TOML ({reason}). Fix its syntax.",
        "toml.syntax_at": "The file cannot be read as TOML ({reason} at column {column}). Fix "
                          "that line.",
        "toml.section": "sheetfunnel does not know the section [{name}]; it is ignored. Use "
                        "[[stages]], [[scoring]], [[criteria]] or [[settings]].",
        "toml.not_list": "The section {name} must be a list of rows, each starting with "
                         "[[{role}]].",
        "toml.not_table": "Each row of [[{role}]] must be a table of key = value lines.",
        "toml.key": "sheetfunnel does not know the key {name} in [[{role}]]; it is ignored. Use "
                    "{keys}.",
    },
    "zh": {
        "noun.probability": "赢率", "noun.stall_days": "停滞天数",
        "noun.follow_up_days": "跟进天数", "noun.weight": "权重", "noun.points": "分值",
        "noun.stage": "阶段",
        "ex.probability": "40 或 40%", "ex.weight": "2 或 0.5",
        "nothing": "（空）", "none": "无", "the_default": "默认值",
        "and": "和", "or": "或", "list_sep": "、", "or_sep": "或",
        "closest": "（最接近的是 {name}）",
        "closest_quoted": "；最接近的是“{name}”", "none_close": "；没有相近的",
        "and_more": "{cells} 等，另有 {more} 处",
        "not_number": "{what}“{value}”不是数字。请填写一个数字，例如 {example}。",
        "days": "{what}必须是 0 到 {high} 之间的整数（十年以内），例如 14，而不是“{value}”。",
        "outside": "{what}“{value}”超出了 {low} 到 {high} 的范围。请填写 {low} 到 {high} "
                   "之间的{what}，例如 {example}。",
        "outside_plural": "{what}“{value}”超出了 {low} 到 {high} 的范围。请填写 {low} 到 "
                          "{high} 之间的{what}，例如 {example}。",
        "setting_twice": "参数 {setting} 设置了两次（另一处在 {other}），以这一行为准。"
                         "请只保留一行。",
        "setting_unknown": "sheetfunnel 不认识参数 {setting}，已忽略。请检查拼写。",
        "grades_order": "评级分数线必须从 A 到 C 依次降低（现在 A {a}、B {b}、C {c}）。"
                        "请让 grade_A 大于 grade_B，grade_B 大于 grade_C。",
        "no_column_role": "没有名为 {wanted} 的列角色，因此 {setting} 被忽略。"
                          "请使用其中之一：{roles}。",
        "no_tab_role": "没有名为 {wanted} 的表角色，因此 {setting} 被忽略。"
                       "请使用其中之一：{roles}。",
        "no_input_tab": "没有名为 {wanted} 的输入表角色，因此 {setting} 被忽略。请写成 "
                        "column.<表>.<列>，其中表为以下之一：{tabs}。",
        "no_tab_column_role": "{tab}表没有名为 {wanted} 的列角色，因此 {setting} 被忽略。"
                              "请使用其中之一：{roles}。",
        "yes_no": "参数 {name} 必须是 yes 或 no，而不是“{value}”。",
        "choice": "{name} 必须是 {allowed}，而不是“{value}”。",
        "timezone": "“{value}”不是 sheetfunnel 认识的时区：今天按 UTC 计算。"
                    "请填写 IANA 时区名，例如 Asia/Shanghai 或 Europe/Berlin。",
        "money_unit": "参数 money_unit 必须是 万（汇总中的金额以万为单位）或留空，"
                      "而不是“{value}”。",
        "grade_number": "参数 {name} 必须是数字，例如 80，而不是“{value}”。",
        "setting_days": "参数 {name} 必须是 0 到 {high} 之间的整数（十年以内），例如 7，"
                        "而不是“{value}”。",
        "setting_hours": "参数 {name} 必须是 0 到 {high} 之间的数字（一年以内），例如 2，"
                         "而不是“{value}”。",
        "setting_whole": "参数 {name} 必须是 {low} 到 {high} 之间的整数，例如 {example}，"
                         "而不是“{value}”。",
        "setting_number": "参数 {name} 必须是 {low} 到 {high} 之间的数字，例如 {example}，"
                          "而不是“{value}”。",
        "grade_range": "参数 {name} 必须是 0 到 {high} 之间的数字（{scale}），而不是“{value}”。",
        "scale_raw": "原始分制下评分卡能给出的最高分",
        "scale_percent": "百分制",
        "grade_place": "{name} {value}（{where}）",
        "graded_d": "所有商机都会被评为 D",
        "graded_none": "没有商机会被评为 {letters}",
        "unreachable": "score_scale 为 raw，评分卡最高只能给出 {best} 分，"
                       "但 {grades} 高于这个分数，因此{reached}。请在设置表中把 grade_A、"
                       "grade_B 和 grade_C 设为 0 到 {best} 之间的分数。",
        "unreachable_many": "score_scale 为 raw，评分卡最高只能给出 {best} 分，但 {grades} "
                            "都高于这个分数，因此{reached}。请在设置表中把 grade_A、grade_B 和 "
                            "grade_C 设为 0 到 {best} 之间的分数。",
        "week_start": "参数 week_start 必须是星期几，例如 monday 或 周一，而不是“{value}”。",
        "funnel_mode": "参数 funnel_mode 必须是 cumulative 或 strict，而不是“{value}”。",
        "working_days": "参数 working_days 必须列出星期几，例如 mon-fri、周一-周五 或 "
                        "“mon, tue, wed, thu”，而不是“{value}”。",
        "setting_dates": "参数 {name} 必须列出日期，例如 2026-10-01, 2026-10-02；"
                         "“{value}”不是日期。",
        "stage_twice": "阶段“{name}”出现了两次（另一处在 {other}）。每个阶段只占一行。",
        "stage_no_name": "这一行没有写阶段名称，因此被忽略。请填写阶段名称，或清空这一行。",
        "no_open_stage": "没有进行中的阶段。请至少把一个阶段的类型设为 进行中（open）。",
        "stage_kind": "阶段 {name} 的类型“{kind}”无法识别。请填写 进行中、赢单 或 输单"
                      "（open、won、lost）。",
        "no_probability": "阶段 {name} 没有赢率。请填写 0 到 100 之间的数，例如 40 或 40%。",
        "probability_range": "{name} 的赢率必须在 0 到 100 之间，而不是“{value}”。",
        "rule_no_dimension": "这条规则没有写维度。请填写它所属的维度，例如 预算。",
        "dimension_no_field": "维度 {name} 没有写字段。请填写它评分所用的列。",
        "dimension_no_weight": "维度 {name} 没有权重。请填写一个数字，例如 2 或 0.5。",
        "weights_zero": "所有权重都是 0，任何商机都无法得分。请至少给一个维度大于 0 的权重。",
        "two_fields": "维度 {name} 用了两个字段（{first} 和 {second}）。一个维度只能用一个字段。",
        "two_weights": "维度 {name} 有两个权重（{first} 和 {second}）。"
                       "请让同一维度的每一行权重相同，或把后面几行留空。",
        "match": "匹配条件“{match}”无法识别。请使用 = 文本、属于 a, b, c、> n、>= n、< n、"
                 "<= n、n..m、* 或 数值。",
        "no_points": "{name} 的这条规则没有分值。请填写它给的分数，例如 10。",
        "check_no_field": "这条检查没有写字段。请填写要检查的列，例如 预算。",
        "check_unknown": "检查方式“{check}”无法识别。请使用 必填、=、!=、>、>=、<、<=、"
                         "属于、不属于 或 不晚于今天。",
        "default_skipped": "阶段“{stage}”的默认准入标准已跳过：你的阶段表里没有这个阶段。"
                           "请为你的阶段添加准入标准表。",
        "defaults_skipped": "已跳过 {count} 条默认准入标准：你的阶段表里没有阶段 {names}。"
                            "请为你的阶段添加准入标准表。",
        "check_no_stage": "这条检查没有写阶段。请按阶段表中的写法填写它把关的阶段。",
        "check_stage_unknown": "阶段“{stage}”不在阶段表中。请使用阶段表中的阶段名称。",
        "check_no_value": "这条检查需要一个用来比较的值。请填写值。",
        "check_value": "“{value}”不是数字也不是日期，无法比较。请填写数字（例如 1000）"
                       "或日期（例如 2026-01-31）。",
        "default_column": "默认{rules}用到了列“{name}”，但商机表和客户表都没有这一列，{effect}。"
                          "请添加这一列，或建立你自己的{tab}表。",
        "effect_check": "因此这条检查被跳过", "effect_blank": "因此按空值处理",
        "no_column": "商机表和客户表中都没有列“{name}”{hint}。请添加这一列或改正名称。",
        "default_columns": "{count} 条默认{rules}用到了本表没有的列：{names}——{effect}。"
                           "请添加这些列，或建立你自己的{tab}表。",
        "no_columns": "{count} 条{rules}用到了商机表和客户表都没有的列：{names}（{cells}）。"
                      "请添加这些列或改正名称。",
        "rules.stages": "阶段", "rules.scoring": "评分规则", "rules.criteria": "准入标准",
        "default.stages": "阶段", "default.scoring": "评分卡", "default.criteria": "准入标准",
        "effect.stages": "这些日期按空值处理", "effect.scoring": "这些规则计 0 分",
        "effect.criteria": "这些检查被跳过",
        "mapping_unused": "{tabs}表中没有名为“{header}”的表头{hint}，因此这条列映射未被使用。"
                          "请改正名称。",
        "two_columns": "{tab}表有两列都叫 {name}，只读取第一列。请重命名或删除另一列。",
        "missing_column": "{tab}表没有“{column}”列（找到的表头：{headers}{near}）：{fix}。",
        "rename_header": "请把那一列的表头改为 {name}（或 {other}）",
        "stage_fix": "请把那一列的表头改为 阶段，或在设置表中添加一行 column.stage = <你的表头>",
        "no_such_tab": "没有名为“{name}”的表{near}，因此 tab.{role} 未被使用。请改正表名。",
        "targets_header": "{tab}表的第一行需要 负责人 | 周期 | 指标 | 目标 这几列，缺少 "
                          "{missing}。请补上表头（英文为 Owner | Period | Metric | Target）。",
        "target_owner": "负责人为空：请按商机表中的写法填写销售的名字，或填写 团队。",
        "target_period": "周期“{value}”不是月份或季度：请填写 2026-11 或 2026-Q4。",
        "target_stages": "指标“{value}”中的 {stages} 不是阶段表中的阶段；"
                         "请按阶段表中的写法填写阶段名称。",
        "target_metric": "指标“{value}”无法识别：请填写 赢单金额、赢单数、新增商机，"
                         "或 转化率 A → B（A、B 为阶段表中的两个阶段）。",
        "target_percent": "目标“{value}”必须是 0 到 100 之间的百分数，例如 30 或 30%。",
        "target_number": "目标“{value}”必须是大于或等于 0 的数字，例如 500000。",
        # 商机与客户的关联（engine/joins.py）
        "join.none_named": "没有商机填写客户，因此没有商机关联到客户表。",
        "join.count": "填写了客户的 {naming} 个商机中，{linked} 个在客户表中找到了该客户"
                      "{lacking}。",
        "join.not_there": "（未找到：{names}）",
        "join.zero": "评分维度 {name} 对所有商机都给 0 分：{why}",
        "join.blank_field": "它的字段列在所有商机中都是空的。请填写该列，"
                            "或把字段指向存放该信息的列。",
        "join.no_match": "没有一条规则匹配商机中的值。请对照字段列中的值检查它的匹配单元格。",
        "join.reads": "；评分维度 {names}（{cells}）读取客户表的字段，因此对所有商机都计 0 分",
        "join.no_key": "{tab}表没有客户编号列（表头：{headers}），因此没有商机能关联到客户："
                       "客户等级、成交总额和在途金额保持为空{reads}。请在设置表中添加一行 "
                       "column.{role}.customer_id = <{other}表所用编号所在列的表头>。",
        "join.none_found": "在这一列填写了客户的 {naming} 个商机，没有一个能在客户表的编号列 "
                           "{column} 中找到（最先缺少的：{missing}）："
                           "客户等级、成交总额和在途金额保持为空{reads}。"
                           "请让两列填写相同的编号，或在设置表中把 "
                           "column.customers.customer_id（或 column.opportunities.customer_id）"
                           "指向填写相同编号的列。",
        "tab.customers": "客户", "tab.opportunities": "商机",
        # 赢单模型的字段（engine/learn.py）
        "model.no_column": "model_fields 中的“{name}”不是商机表或客户表的列，赢单模型不使用它。"
                           "请改正名称。",
        "model.at_closing": "“{header}”要到商机关闭时才知道（或由 sheetfunnel 填写），"
                            "赢单模型不会从它学习。请把它从设置表的 model_fields 中删除。",
        "model.filled_late": "“{header}”在 {closed} 的已关闭商机中有填写，在进行中的商机中只有 "
                             "{open}，看起来是关闭时才填写的字段，赢单模型不使用它。"
                             "请在销售过程中更早填写，或把它从设置表的 model_fields 中删除。",
        # 引擎读取的列（engine/evaluate.py）
        "activity.date": "{reason}（这条活动的日期被忽略）。",
        "reason.not_number": "{value} 不是数字",
        "reason.not_amount": "{value} 不是数字或金额",
        "reason.too_big": "{value} 不是表格能存放的数字",
        "reason.not_real_date": "{value} 不是真实存在的日期",
        "reason.date_range": "{value} 不是 {first} 年到 {last} 年之间的日期",
        "reason.ambiguous_date": "{value} 既可以读作日/月也可以读作月/日；请在设置表中设置 "
                                 "date_order（dmy 或 mdy），或把日期写成 YYYY-MM-DD",
        "reason.not_date_try": "{value} 不是日期（请写成 YYYY-MM-DD）",
        "reason.not_date": "{value} 不是日期",
        # Google 的单元格上限（workbook/base.py）
        "cell_limit.where": "表格",
        "cell_limit": "本次运行后表格共有 {cells} 个单元格，达到 Google 上限 {limit} 的 "
                      "{share}；超过上限后，需要更多行的运行会被拒绝。请删除不用的行和列"
                      "（或旧的工作表）腾出空间。",
        # 通知表和通知参数（notify/people.py、notify/settings.py）
        "notify.role": "{name} 的角色“{role}”不是 销售、经理 或 管理员（rep/manager/admin），"
                       "这一行被跳过。",
        "notify.no_channel": "{name} 没有填写渠道；请填写通知配置中的一个渠道。",
        "notify.channel": "{name} 的渠道“{channel}”不在通知配置中（配置中有：{known}）。"
                          "请在通知配置中添加，或改正名称。",
        "notify.channel_sep": "、",
        "notify.digest_at": "{name} 的摘要时间“{value}”不是时刻；请填写例如 08:30。",
        "notify.quiet": "{name} 的免打扰“{value}”不是时间段；请填写例如 21:00-08:00（或 无）。",
        "notify.quiet_hours": "参数 quiet_hours 必须是时间段，例如 21:00-08:00，而不是"
                              "“{value}”；现按 21:00-08:00 处理。",
        "notify.quiet_weekends": "参数 quiet_weekends 必须是 是 或 否，而不是“{value}”；"
                                 "现按 是 处理。",
        "notify.renotify_days": "参数 renotify_days 必须是整数天数，例如 1, 3, 7，而不是"
                                "“{value}”；现按 1, 3, 7 处理。",
        "notify.escalate_after_days": "参数 escalate_after_days 必须是 0 到 3650 之间的整数"
                                      "天数，而不是“{value}”；现按 7 处理。",
        # --config TOML 文件本身的问题（config/sections.py）
        "toml.line": "{source}：第 {line} 行",
        "toml.syntax": "这个文件无法按 TOML 读取（{reason}）。请修正它的语法。",
        "toml.syntax_at": "这个文件无法按 TOML 读取（{reason}，在第 {column} 列）。请修正这一行。",
        "toml.section": "sheetfunnel 不认识节 [{name}]，已忽略。请使用 [[stages]]、[[scoring]]、"
                        "[[criteria]] 或 [[settings]]（也可写作 [[\"阶段\"]]、"
                        "[[\"评分卡\"]]、[[\"准入标准\"]]、[[\"设置\"]]）。",
        "toml.not_list": "节 {name} 必须是若干行，每行以 [[{role}]] 开头。",
        "toml.not_table": "[[{role}]] 的每一行都必须是 键 = 值 形式的若干行。",
        "toml.key": "sheetfunnel 不认识 [[{role}]] 中的键 {name}，已忽略。请使用 {keys}。",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    """The sentence ``key`` in ``lang``, its placeholders filled."""
    return PROBLEMS[lang][key].format(**values)


def joined(lang: str, parts: Sequence[str], word: str = "and") -> str:
    """``a, b and c`` (``a、b 和 c``); ``word`` is ``and`` or ``or``."""
    texts = PROBLEMS[lang]
    if len(parts) == 1:
        return parts[0]
    return f"{texts['list_sep'].join(parts[:-1])} {texts[word]} {parts[-1]}"
