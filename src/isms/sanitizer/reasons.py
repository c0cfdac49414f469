"""Reason codes: why a message was held, and what was changed in a sanitized one.

Every code has one Japanese sentence for the recipient (banner and notice) and says whether it
holds the message. The codes are stable strings: reports, the quarantine metadata and the
``X-Sanitized`` header carry them, and ``docs/sanitizer.md`` lists every one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HOLDING_REASONS", "REASON_TEXTS", "ReasonCode"]


class ReasonCode(StrEnum):
    """Why the engine did what it did; values are the strings used in reports."""

    # --- limits and failures: the message is held --------------------------------------------
    message_too_large = "message_too_large"
    mime_too_deep = "mime_too_deep"
    too_many_parts = "too_many_parts"
    timeout = "timeout"
    text_too_long = "text_too_long"
    malformed_message = "malformed_message"
    unsupported_charset = "unsupported_charset"
    internal_error = "internal_error"
    output_verification_failed = "output_verification_failed"
    # --- attachments that hold the message ----------------------------------------------------
    encrypted_file = "encrypted_file"
    secure_mail = "secure_mail"
    tnef = "tnef"
    archive_nested = "archive_nested"
    archive_too_large = "archive_too_large"
    archive_ratio = "archive_ratio"
    archive_too_many_entries = "archive_too_many_entries"
    archive_malformed = "archive_malformed"
    archive_unsupported = "archive_unsupported"
    executable = "executable"
    script = "script"
    active_document = "active_document"
    unrecognised_type = "unrecognised_type"
    type_mismatch = "type_mismatch"
    held_by_policy = "held_by_policy"
    no_converter = "no_converter"
    conversion_failed = "conversion_failed"
    document_too_large = "document_too_large"
    malware_signature = "malware_signature"
    # --- changes made to a sanitized message (manifest) ---------------------------------------
    html_converted = "html_converted"
    attachment_deleted = "attachment_deleted"
    text_extracted = "text_extracted"
    attachment_converted = "attachment_converted"
    embedded_message = "embedded_message"
    links_defanged = "links_defanged"
    links_removed = "links_removed"
    unsafe_links_removed = "unsafe_links_removed"
    images_removed = "images_removed"
    encoded_block_removed = "encoded_block_removed"
    controls_removed = "controls_removed"
    header_invalid = "header_invalid"
    charset_repaired = "charset_repaired"
    decode_errors = "decode_errors"
    active_content_found = "active_content_found"

    @property
    def holds(self) -> bool:
        """Return True when this reason holds the whole message."""
        return self in HOLDING_REASONS

    @property
    def text_ja(self) -> str:
        """Return the sentence shown to the recipient."""
        return REASON_TEXTS[self]


HOLDING_REASONS: frozenset[ReasonCode] = frozenset(
    {
        ReasonCode.message_too_large,
        ReasonCode.mime_too_deep,
        ReasonCode.too_many_parts,
        ReasonCode.timeout,
        ReasonCode.text_too_long,
        ReasonCode.malformed_message,
        ReasonCode.unsupported_charset,
        ReasonCode.internal_error,
        ReasonCode.output_verification_failed,
        ReasonCode.encrypted_file,
        ReasonCode.secure_mail,
        ReasonCode.tnef,
        ReasonCode.archive_nested,
        ReasonCode.archive_too_large,
        ReasonCode.archive_ratio,
        ReasonCode.archive_too_many_entries,
        ReasonCode.archive_malformed,
        ReasonCode.archive_unsupported,
        ReasonCode.executable,
        ReasonCode.script,
        ReasonCode.active_document,
        ReasonCode.unrecognised_type,
        ReasonCode.type_mismatch,
        ReasonCode.held_by_policy,
        ReasonCode.no_converter,
        ReasonCode.conversion_failed,
        ReasonCode.document_too_large,
        ReasonCode.malware_signature,
    }
)

REASON_TEXTS: dict[ReasonCode, str] = {
    ReasonCode.message_too_large: "メールのサイズが上限を超えています。",
    ReasonCode.mime_too_deep: "メールの入れ子構造が深すぎます。",
    ReasonCode.too_many_parts: "メールの部品（パート）の数が上限を超えています。",
    ReasonCode.timeout: "無害化の処理時間が上限を超えました。",
    ReasonCode.text_too_long: "本文が長すぎます。",
    ReasonCode.malformed_message: "メールの形式が壊れているため、安全に解析できません。",
    ReasonCode.unsupported_charset: "本文の文字コードを判別できません。",
    ReasonCode.internal_error: "無害化の処理中にエラーが発生しました。",
    ReasonCode.output_verification_failed: "無害化後のメールの検証に失敗しました。",
    ReasonCode.encrypted_file: "暗号化（パスワード付き）されたファイルは検査できません。",
    ReasonCode.secure_mail: "暗号化または電子署名（S/MIME・PGP）されたメールは検査できません。",
    ReasonCode.tnef: "Outlook形式の添付ファイル（winmail.dat）は検査できません。",
    ReasonCode.archive_nested: "圧縮ファイルの中に、さらに圧縮ファイルが含まれています。",
    ReasonCode.archive_too_large: "圧縮ファイルの展開後のサイズが上限を超えています。",
    ReasonCode.archive_ratio: "圧縮ファイルの圧縮率が異常です（圧縮爆弾の疑い）。",
    ReasonCode.archive_too_many_entries: "圧縮ファイル内のファイル数が上限を超えています。",
    ReasonCode.archive_malformed: "圧縮ファイルの形式が壊れています。",
    ReasonCode.archive_unsupported: "この形式の圧縮ファイルは検査できません。",
    ReasonCode.executable: "実行ファイルが添付されています。",
    ReasonCode.script: "スクリプトファイルが添付されています。",
    ReasonCode.active_document: (
        "マクロ・DDE・埋め込みオブジェクトなどを含む文書が添付されています。"
    ),
    ReasonCode.unrecognised_type: "種類を判別できないファイルが添付されています。",
    ReasonCode.type_mismatch: "ファイル名（拡張子）と内容の種類が一致しません。",
    ReasonCode.held_by_policy: "運用方針により、この種類のファイルは保留します。",
    ReasonCode.no_converter: "この種類のファイルを無害化する変換機能がありません。",
    ReasonCode.conversion_failed: "ファイルの無害化（変換）に失敗しました。",
    ReasonCode.document_too_large: "文書のページ数またはサイズが上限を超えています。",
    ReasonCode.malware_signature: "マルウェア（テスト用シグネチャを含む）を検出しました。",
    ReasonCode.html_converted: "HTMLメールをテキストに変換しました。",
    ReasonCode.attachment_deleted: "添付ファイルを削除しました。",
    ReasonCode.text_extracted: "添付ファイルからテキストを抽出し、本文に掲載しました。",
    ReasonCode.attachment_converted: "添付ファイルを無害化（変換）しました。",
    ReasonCode.embedded_message: "添付されたメールを本文に展開しました。",
    ReasonCode.links_defanged: "リンクを無効化しました（例: hxxps://example[.]jp）。",
    ReasonCode.links_removed: "リンクを削除しました。",
    ReasonCode.unsafe_links_removed: "危険なリンク（javascript: や data: など）を削除しました。",
    ReasonCode.images_removed: "画像（外部画像を含む）を表示しないようにしました。",
    ReasonCode.encoded_block_removed: "本文中の符号化されたファイル（uuencode 等）を削除しました。",
    ReasonCode.controls_removed: "制御文字・書字方向制御文字を削除しました。",
    ReasonCode.header_invalid: "不正なヘッダーを削除しました。",
    ReasonCode.charset_repaired: "文字コードの誤った指定を補正しました。",
    ReasonCode.decode_errors: "一部の文字を復号できず、代替文字に置き換えました。",
    ReasonCode.active_content_found: (
        "文書内のスクリプト等の動的要素を検出しました（テキストのみ抽出）。"
    ),
}
