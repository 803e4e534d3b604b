"""Sample data the tests share: valid catalog, town and marks files (the starting points of
the fuzzers, too)."""

from __future__ import annotations

# A catalog area file with every kind of key (line numbers matter: tests name them).
GOOD_AREA = """
format: fitgap-catalog/1
area:
  id: juki
  name: 住民記録
  name_en: Resident registry
spec:
  title: 住民記録システム標準仕様書
  version: 第4.0版
functions:
  - id: "0010010"
    path: [管理項目, 住民データ]
    name: 日本人住民データの管理
    requirement: mandatory
    text: |
      日本人住民の住民データを管理する。
    note: 補足
    forms: ["0230010"]
    x-spec-ref: "2.1"
  - id: "0010020"
    name: 外国人住民データの管理
    requirement: 標準オプション機能
    text: 外国人住民の住民データを管理する。
"""

# A town file (石井町).
TOWN = """
format: fitgap-town/1
id: ishii
name: 石井町
prefecture: 徳島県
population: 25489
households: 10806
budget_yen: 17847370000
area_km2: 28.85
"""

# A marks file of 石井町 on GOOD_AREA's two functions.
MARKS = """
format: fitgap-marks/1
town: ishii
marks:
  - function: "0010010"
    status: カスタマイズ
    note: |
      条例で定める独自様式が必要です。
    cost:
      initial_yen: 1200000
      annual_yen: 150000
  - function: "0010020"
    status: 業務見直し
"""
