"""Prefecture codes (JIS X 0401), the first two digits of a 全国地方公共団体コード."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Prefecture(models.TextChoices):
    """A prefecture by its JIS X 0401 code."""

    P01 = "01", _("Hokkaido")  # 北海道
    P02 = "02", _("Aomori")  # 青森県
    P03 = "03", _("Iwate")  # 岩手県
    P04 = "04", _("Miyagi")  # 宮城県
    P05 = "05", _("Akita")  # 秋田県
    P06 = "06", _("Yamagata")  # 山形県
    P07 = "07", _("Fukushima")  # 福島県
    P08 = "08", _("Ibaraki")  # 茨城県
    P09 = "09", _("Tochigi")  # 栃木県
    P10 = "10", _("Gunma")  # 群馬県
    P11 = "11", _("Saitama")  # 埼玉県
    P12 = "12", _("Chiba")  # 千葉県
    P13 = "13", _("Tokyo")  # 東京都
    P14 = "14", _("Kanagawa")  # 神奈川県
    P15 = "15", _("Niigata")  # 新潟県
    P16 = "16", _("Toyama")  # 富山県
    P17 = "17", _("Ishikawa")  # 石川県
    P18 = "18", _("Fukui")  # 福井県
    P19 = "19", _("Yamanashi")  # 山梨県
    P20 = "20", _("Nagano")  # 長野県
    P21 = "21", _("Gifu")  # 岐阜県
    P22 = "22", _("Shizuoka")  # 静岡県
    P23 = "23", _("Aichi")  # 愛知県
    P24 = "24", _("Mie")  # 三重県
    P25 = "25", _("Shiga")  # 滋賀県
    P26 = "26", _("Kyoto")  # 京都府
    P27 = "27", _("Osaka")  # 大阪府
    P28 = "28", _("Hyogo")  # 兵庫県
    P29 = "29", _("Nara")  # 奈良県
    P30 = "30", _("Wakayama")  # 和歌山県
    P31 = "31", _("Tottori")  # 鳥取県
    P32 = "32", _("Shimane")  # 島根県
    P33 = "33", _("Okayama")  # 岡山県
    P34 = "34", _("Hiroshima")  # 広島県
    P35 = "35", _("Yamaguchi")  # 山口県
    P36 = "36", _("Tokushima")  # 徳島県
    P37 = "37", _("Kagawa")  # 香川県
    P38 = "38", _("Ehime")  # 愛媛県
    P39 = "39", _("Kochi")  # 高知県
    P40 = "40", _("Fukuoka")  # 福岡県
    P41 = "41", _("Saga")  # 佐賀県
    P42 = "42", _("Nagasaki")  # 長崎県
    P43 = "43", _("Kumamoto")  # 熊本県
    P44 = "44", _("Oita")  # 大分県
    P45 = "45", _("Miyazaki")  # 宮崎県
    P46 = "46", _("Kagoshima")  # 鹿児島県
    P47 = "47", _("Okinawa")  # 沖縄県
