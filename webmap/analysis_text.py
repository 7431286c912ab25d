"""Words of the analysis panels on the planner map (ranking, coverage, sponsorship).

Vietnamese first, English second; merged into the planner's dictionary by
``webmap.blueprints.planner`` so the page's scripts find them in ``NTM.text``.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # tabs and themes
    "tab_rank": ("Xếp hạng", "Ranking"),
    "tab_cover": ("Độ phủ", "Coverage"),
    "tab_sponsor": ("Đỡ đầu", "Sponsors"),
    "theme_priority": ("Điểm ưu tiên", "Priority score"),
    "theme_cover": ("Độ phủ trong kỳ báo cáo", "Coverage of the report period"),
    "theme_gap": ("Khoảng trống", "Gaps"),
    # ranking
    "rank_title": ("Xếp hạng ưu tiên", "Priority ranking"),
    "rank_weights": ("Trọng số các yếu tố", "Factor weights"),
    "rank_weight": ("trọng số", "weight"),
    "rank_reset": ("Về mặc định", "Defaults"),
    "rank_default": ("mặc định", "default"),
    "rank_col_rank": ("Hạng", "Rank"),
    "rank_col_commune": ("Xã", "Commune"),
    "rank_col_score": ("Điểm", "Score"),
    "rank_col_factors": ("Đóng góp của từng yếu tố", "Each factor's contribution"),
    "rank_col_complete": ("Đủ dữ liệu", "Data"),
    "rank_missing": ("chưa có dữ liệu", "no data"),
    "rank_missing_rule": (
        "Yếu tố chưa có dữ liệu không được tính là 0: nó không cộng điểm, được ghi là "
        "“chưa có dữ liệu”, và làm giảm mức “đủ dữ liệu” (phần trọng số có dữ liệu). "
        "Xã chưa từng có hoạt động không phải thiếu dữ liệu: xã đó chờ lâu nhất.",
        "A factor with no data does not count as zero: it adds nothing, is shown as "
        "“no data”, and lowers the “data” share (the part of the weight that is known). "
        "A commune with no activity ever is not missing data: it has waited longest.",
    ),
    "rank_add_top": ("Thêm {n} xã đứng đầu vào danh sách", "Add the top {n} to the list"),
    "rank_add_above": ("Thêm các xã có điểm từ", "Add communes scoring at least"),
    "rank_add_above_button": ("Thêm", "Add"),
    "rank_top_n": ("Số xã đứng đầu", "How many"),
    "rank_added": ("Đã thêm {n} xã vào “{list}”", "Added {n} communes to “{list}”"),
    "rank_score_class": ("{low}–{high} điểm", "{low}–{high} points"),
    "rank_max_note": (
        "Lớp chia đều theo điểm tối đa có thể ({max} điểm = tổng trọng số).",
        "Classes split the highest possible score ({max} points = sum of weights) evenly.",
    ),
    "rank_why": ("Vì sao", "Why"),
    # factor names and reasons (the defaults written down)
    "factor_difficulty": ("Xã khó khăn", "Difficult commune"),
    "factor_unmet_criteria": ("Số tiêu chí chưa đạt", "Unmet criteria"),
    "factor_close_to_standard": ("Gần đạt chuẩn", "Close to the standard"),
    "factor_registered": ("Đăng ký đạt chuẩn năm nay/năm sau", "Registered for this or next year"),
    "factor_days_since_activity": ("Thời gian chưa có hoạt động", "Time since the last activity"),
    "factor_no_sponsor": ("Chưa có đơn vị đỡ đầu", "No sponsor"),
    "why_difficulty": (
        "Công văn ưu tiên xã khó khăn (miền núi, bãi ngang ven biển, hải đảo, ĐBKK).",
        "The dispatch names difficult communes first.",
    ),
    "why_unmet_criteria": (
        "Tỷ lệ tiêu chí chưa đạt: càng nhiều tiêu chí chưa đạt càng nhiều việc.",
        "Share of unmet criteria: more unmet, more work.",
    ),
    "why_close_to_standard": (
        "Còn 1 tiêu chí (1,0) hoặc 2 tiêu chí (0,5): vài ngày thứ 7 có thể giúp đạt chuẩn.",
        "One (1.0) or two (0.5) criteria missing: a few Saturdays can tip it.",
    ),
    "why_registered": (
        "Đăng ký đạt chuẩn năm nay hoặc năm sau: đã có cam kết và thời hạn.",
        "Registered for this or next year: a commitment with a deadline.",
    ),
    "why_days_since_activity": (
        "Số ngày từ hoạt động gần nhất, tối đa 180 ngày: xã chờ lâu được nổi lên.",
        "Days since the last activity, capped at 180: long waits surface.",
    ),
    "why_no_sponsor": (
        "Chưa có sở, ngành đỡ đầu: chưa ai chịu trách nhiệm.",
        "No sponsoring department: nobody is accountable.",
    ),
    # coverage
    "cover_title": ("Độ phủ hoạt động trong kỳ", "Coverage of a period"),
    "cover_kind": ("Loại kỳ", "Period"),
    "kind_p_month": ("Tháng", "Month"),
    "kind_p_quarter": ("Quý", "Quarter"),
    "kind_p_half": ("6 tháng", "Half-year"),
    "kind_p_year": ("Năm", "Year"),
    "kind_p_range": ("Từ ngày – đến ngày", "Any dates"),
    "cover_year": ("Năm", "Year"),
    "cover_number": ("Số", "Number"),
    "cover_show": ("Xem", "Show"),
    "cover_last_quarter": ("Quý trước", "Last quarter"),
    "cover_export": ("Tải Excel", "Download Excel"),
    "cover_list_totals": ("Tổng của danh sách ưu tiên", "Priority list totals"),
    "cover_all_totals": ("Tổng toàn tỉnh", "Province totals"),
    "cover_col_acts": ("Hoạt động", "Activities"),
    "cover_col_people": ("Người tham gia", "Participants"),
    "cover_col_workdays": ("Ngày công", "Workdays"),
    "cover_col_money": ("Kinh phí (đồng)", "Funds (VND)"),
    "cover_col_days": ("Ngày từ lần gần nhất", "Days since last"),
    "cover_quantities": ("Khối lượng theo loại", "Quantities by type"),
    "cover_criteria": ("Tiêu chí được hỗ trợ", "Criteria addressed"),
    "cover_old_units": ("Tính qua đơn vị cũ", "Counted through former units"),
    "cover_assessed": ("Ngày đánh giá", "Assessed on"),
    "cover_never": ("chưa từng có", "never"),
    "cover_gaps": ("Khoảng trống", "Gaps"),
    "gap_no_activity": ("Xã ưu tiên chưa có hoạt động", "Priority communes with no activity"),
    "gap_no_activity_need_list": (
        "Chọn một danh sách ưu tiên (thẻ “Danh sách ưu tiên”) để xem xã ưu tiên chưa có hoạt động.",
        "Choose a priority list to see its communes with no activity.",
    ),
    "gap_unmet": (
        "Tiêu chí chưa đạt chưa được hoạt động nào hỗ trợ",
        "Unmet criteria no activity addressed",
    ),
    "gap_crowded": ("Xã được đến nhiều", "Communes visited often"),
    "gap_waiting": ("Xã đang chờ (khó khăn hoặc ưu tiên, chưa có hoạt động)", "Communes waiting"),
    "gap_imbalance": (
        "Mất cân đối: có xã được đến nhiều trong khi xã khác đang chờ.",
        "Imbalance: some communes are visited often while others wait.",
    ),
    "gap_none": ("Không có", "None"),
    "gap_other": ("Không có khoảng trống", "No gap"),
    "cover_class_zero": ("Không có hoạt động", "No activity"),
    "cover_mean": ("Trung bình {n} hoạt động/xã", "Mean {n} activities per commune"),
    # sponsorship
    "sp_title": ("Cân đối đỡ đầu", "Sponsorship balance"),
    "sp_dept": ("Sở, ngành", "Department"),
    "sp_communes": ("Số xã", "Communes"),
    "sp_load": ("Tải có trọng số", "Weighted load"),
    "sp_missing": ("Xã thiếu dữ liệu", "Communes lacking data"),
    "sp_area": ("Vùng", "Area"),
    "sp_load_rule": (
        "Tải của một sở, ngành = tổng theo các xã đỡ đầu: {base} mỗi xã + {difficult} nếu xã khó khăn "
        "+ {unmet} × số tiêu chí chưa đạt. Thiếu dữ liệu thì không cộng và xã được đếm ở cột “Xã thiếu dữ liệu”.",
        "A department's load = sum over its communes: {base} each + {difficult} if difficult "
        "+ {unmet} × unmet criteria. Missing data adds nothing and is counted under “communes lacking data”.",
    ),
    "sp_show_area": ("Vẽ vùng", "Draw"),
    "sp_unsponsored": ("Xã ưu tiên chưa có đơn vị đỡ đầu", "Priority communes with no sponsor"),
    "sp_several": ("Xã có nhiều đơn vị đỡ đầu", "Communes with several sponsors"),
    "sp_suggest": ("Gợi ý phân công (chỉ là gợi ý)", "Suggested assignment (a suggestion only)"),
    "sp_suggest_note": (
        "Mỗi xã ưu tiên chưa có đơn vị đỡ đầu được gợi ý cho sở, ngành phụ trách tiêu chí chưa đạt của xã, "
        "nếu tải không chênh quá nhiều; nếu không, cho đơn vị đang ít việc nhất. Không gì được ghi cho đến khi bấm “Chấp nhận”.",
        "Each unsponsored priority commune is suggested to a department responsible for its unmet criteria "
        "unless that makes loads uneven, else to the least loaded one. Nothing is written until you accept.",
    ),
    "sp_accept": ("Chấp nhận", "Accept"),
    "sp_accepted": ("Đã phân công", "Assigned"),
    "sp_assign": ("Phân công đỡ đầu", "Assign a sponsor"),
    "sp_commune": ("Xã", "Commune"),
    "sp_from": ("Từ ngày", "From"),
    "sp_to": ("Đến ngày (không bắt buộc)", "To (optional)"),
    "sp_note": ("Ghi chú", "Note"),
    "sp_save": ("Ghi", "Save"),
    "sp_current": ("Đang đỡ đầu", "Current sponsorships"),
    "sp_end": ("Kết thúc", "End"),
    "sp_end_prompt": ("Ngày kết thúc (dd/mm/yyyy)", "End date (dd/mm/yyyy)"),
    "sp_ended": ("Đã kết thúc việc đỡ đầu", "Sponsorship ended"),
    "sp_saved": ("Đã ghi việc đỡ đầu", "Sponsorship recorded"),
    "sp_history": ("Lịch sử đỡ đầu", "Sponsorship history"),
    "sp_match": (
        "Sở, ngành phù hợp với tiêu chí chưa đạt",
        "Departments matching the unmet criteria",
    ),
    "sp_fits_yes": (
        "Đơn vị đỡ đầu phụ trách ít nhất một tiêu chí chưa đạt",
        "A sponsor is responsible for an unmet criterion",
    ),
    "sp_fits_no": (
        "Đơn vị đỡ đầu không phụ trách tiêu chí chưa đạt nào",
        "No sponsor is responsible for an unmet criterion",
    ),
    "sp_fits_none": (
        "Xã chưa có đơn vị đỡ đầu; các sở, ngành phụ trách tiêu chí chưa đạt là lựa chọn phù hợp:",
        "No sponsor yet; the departments responsible for its unmet criteria would fit:",
    ),
    "sp_fits_unknown": (
        "Chưa biết tiêu chí chưa đạt của xã (chưa có đánh giá)",
        "Unmet criteria unknown (no assessment)",
    ),
    "sp_no_unsponsored": (
        "Mọi xã ưu tiên đều có đơn vị đỡ đầu",
        "Every priority commune has a sponsor",
    ),
    "sp_area_none": ("Sở, ngành này không đỡ đầu xã nào", "This department sponsors no commune"),
    "sp_scope_list": (
        "Xã ưu tiên: các xã trong danh sách “{list}”",
        "Priority communes: those in “{list}”",
    ),
    "sp_scope_all": (
        "Xã ưu tiên: mọi xã (chưa chọn danh sách)",
        "Priority communes: every commune (no list chosen)",
    ),
    "sp_planners_only": (
        "Chỉ cán bộ điều phối được phân công đỡ đầu.",
        "Only planners assign sponsors.",
    ),
}


def messages(lang: str) -> dict[str, str]:
    """Every analysis text in ``lang`` (``vi`` or ``en``)."""
    index = 1 if lang == "en" else 0
    return {key: pair[index] for key, pair in TEXT.items()}
