"""Generate a deterministic corpus of seed-shaped articles for benchmarks.

The articles imitate the scraped format of ``seeds/000_e462c374ae22f41e.txt``:
a title line, a lead that dates the event ("pada 18 Oktober", no year), body
paragraphs of which one dates an earlier or a coming event with a year, a
photo caption with its credit, a byline "Author (Menurut AFP , Reuters )" and
the page's leftovers ("[iklan_2]", "Tautan sumber", "Komentar (0)"), in
Indonesian, English and Vietnamese. Month names are CLDR's, through Babel, as
the parser reads them. A few seeds carry a front matter block, and a few have
the scraping artifacts the parser repairs (a space before a comma).

The same N always gives the same bytes, so runs on different machines and
days build the same corpus. Seed ``i`` is a pure function of ``i``, so the
benchmark runner adds "one new seed" as seed ``N`` and edits seed ``i`` by
rewriting it with ``edit=k``.

    python benchmarks/generate_corpus.py 10000 /tmp/corpus/seeds
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import get_month_names

GENERATOR_VERSION = "1"
LANGUAGES = ("id", "en", "vi")
# How often each language appears: the feed is Indonesian, with other editions mixed in.
LANGUAGE_WEIGHTS = (6, 3, 1)

FEED_TOML = """\
# A generated benchmark corpus (benchmarks/generate_corpus.py).
title = "Berita Dunia (benchmark)"
subtitle = "A generated corpus of seed-shaped articles"
base_url = "https://bench.example.org/"
author = "Redaksi Berita Dunia"
language = "id"
time_zone = "+07:00"
id_authority = "bench.example.org"
id_date = "2023"
max_entries = 50
"""

PEOPLE = (
    "Sergey Lavrov", "Choe Son-hui", "Antony Blinken", "Wang Yi", "Retno Marsudi", "Vu Duc Dam",
    "Penny Wong", "Annalena Baerbock", "Catherine Colonna", "Jaishankar Subrahmanyam",
    "Yoko Kamikawa", "Hakan Fidan", "Mauro Vieira", "Naledi Pandor", "Ali Sabry", "Enrique Manalo",
)  # fmt: skip
PLACES = (
    "Pyongyang", "Jakarta", "Hanoi", "Beijing", "Washington", "Moskow", "Tokyo", "Seoul", "Bangkok",
    "Manila", "Canberra", "Berlin", "Paris", "New Delhi", "Ankara", "Brasilia", "Pretoria", "Kolombo",
)  # fmt: skip
AUTHORS = ("Huyen Le", "Minh Anh", "Thu Trang", "Ngoc Mai", "Dewi Lestari", "Budi Santoso", "Anna Smith", "John Carter")
AGENCIES = ("AFP", "Reuters", "AP", "Bloomberg", "Xinhua", "Kyodo", "Yonhap", "TASS")
TAGS = ("politik", "asia", "eropa", "ekonomi", "diplomasi", "keamanan", "energi", "iklim")

# Per language: the words of the scraped site's edition. Placeholders:
# {p} person, {q} another person, {pl} place, {d} "18 Oktober" (no year),
# {my} "Desember 2022" (month and year).
TEXT = {
    "id": {
        "titles": (
            "{p} tiba di {pl}, membahas kerja sama bilateral dan situasi keamanan kawasan",
            "{p} dan {q} sepakat memperkuat hubungan ekonomi setelah pertemuan di {pl}",
            "Menteri Luar Negeri {p} mengunjungi {pl} untuk pembicaraan tentang energi dan iklim",
        ),
        "leads": (
            "{p} tiba di {pl} pada {d}, memulai kunjungan dua hari. Media setempat mengatakan kunjungan itu akan menandai \"kesempatan penting\" untuk memperkuat hubungan bilateral.",
            "Dalam pertemuan di {pl} pada {d}, {p} dan {q} membahas perdagangan, keamanan kawasan dan kerja sama energi.",
        ),
        "body": (
            "Berbicara pada resepsi malam itu, {p} mengatakan negaranya \"sangat menghargai dukungan yang berprinsip dan teguh\" dari mitranya.",
            "Kunjungan {p} diharapkan menjadi landasan bagi pertemuan puncak di masa mendatang, kata juru bicara kementerian kepada wartawan.",
            "\"Kita dapat dengan yakin mengatakan bahwa hubungan kedua negara telah mencapai tingkat strategis baru yang kualitatif,\" ujar {q}.",
            "Para analis menilai kunjungan ini sebagai sinyal bahwa {pl} ingin memperluas pengaruhnya di kawasan.",
            "Juru bicara {q} mengatakan tanggal kunjungan berikutnya belum ditentukan melalui jalur diplomatik. Menurutnya, pembicaraan ini dapat memberikan kejelasan.",
            "Kedua pihak juga membahas perdagangan beras, pupuk dan energi, serta kerja sama di bidang pendidikan dan kesehatan.",
        ),
        "past": "Hubungan antara kedua negara semakin erat sejak pecahnya krisis di kawasan pada {my}.",
        "future": "Kedua menteri akan bertemu lagi di {pl} pada {my} untuk menandatangani perjanjian.",
        "caption": "{p} (kiri) dan {q} pada pesta penyambutan di {pl} pada {d}. Foto: {a}",
        "byline": "{author} (Menurut {agencies})",
        "leftovers": ("[iklan_2]", "Tautan sumber", "Komentar (0)"),
    },
    "en": {
        "titles": (
            "{p} arrives in {pl} for talks on bilateral ties and regional security",
            "{p} and {q} agree to deepen economic ties after meeting in {pl}",
            "Foreign Minister {p} visits {pl} for talks on energy and climate",
        ),
        "leads": (
            "{p} arrived in {pl} on {d}, beginning a two-day visit. Local media said the visit would mark an \"important opportunity\" to strengthen bilateral ties.",
            "Meeting in {pl} on {d}, {p} and {q} discussed trade, regional security and energy cooperation.",
        ),
        "body": (
            "Speaking at a reception that evening, {p} said his country \"highly appreciates the principled and firm support\" of its partner.",
            "The visit by {p} is expected to lay the groundwork for a future summit, a ministry spokesperson told reporters.",
            "\"We can confidently say that relations between our two countries have reached a new strategic level,\" {q} said.",
            "Analysts see the visit as a sign that {pl} wants to widen its influence in the region.",
            "A spokesperson for {q} said the date of the next visit has not been set through diplomatic channels. The talks could bring clarity , he said.",
            "The two sides also discussed trade in rice, fertiliser and energy, as well as cooperation in education and health.",
        ),
        "past": "Relations between the two countries have grown closer since the crisis in the region broke out in {my}.",
        "future": "The two ministers will meet again in {pl} in {my} to sign an agreement.",
        "caption": "{p} (left) and {q} at a welcome reception in {pl} on {d}. Photo: {a}",
        "byline": "{author} (According to {agencies})",
        "leftovers": ("[ad_2]", "Source link", "Comments (0)"),
    },
    "vi": {
        "titles": (
            "{p} đến {pl}, thảo luận hợp tác song phương và an ninh khu vực",
            "{p} và {q} nhất trí tăng cường quan hệ kinh tế sau cuộc gặp tại {pl}",
            "Ngoại trưởng {p} thăm {pl} để đàm phán về năng lượng và khí hậu",
        ),
        "leads": (
            "{p} đến {pl} ngày {d}, bắt đầu chuyến thăm hai ngày. Truyền thông địa phương cho biết chuyến thăm sẽ là \"cơ hội quan trọng\" để củng cố quan hệ song phương.",
            "Tại cuộc gặp ở {pl} ngày {d}, {p} và {q} đã thảo luận về thương mại, an ninh khu vực và hợp tác năng lượng.",
        ),
        "body": (
            "Phát biểu tại buổi chiêu đãi tối cùng ngày, {p} nói nước mình \"đánh giá cao sự ủng hộ có nguyên tắc và kiên định\" của đối tác.",
            "Chuyến thăm của {p} được kỳ vọng sẽ tạo nền tảng cho một hội nghị thượng đỉnh trong tương lai, người phát ngôn bộ cho biết.",
            "\"Chúng ta có thể tự tin nói rằng quan hệ hai nước đã đạt tầm chiến lược mới,\" {q} nói.",
            "Các nhà phân tích coi chuyến thăm là tín hiệu cho thấy {pl} muốn mở rộng ảnh hưởng trong khu vực.",
            "Người phát ngôn của {q} cho biết ngày của chuyến thăm tiếp theo chưa được ấn định qua kênh ngoại giao .",
            "Hai bên cũng thảo luận về thương mại gạo, phân bón và năng lượng, cũng như hợp tác trong giáo dục và y tế.",
        ),
        "past": "Quan hệ giữa hai nước ngày càng khăng khít kể từ khi khủng hoảng trong khu vực nổ ra vào {my}.",
        "future": "Hai ngoại trưởng sẽ gặp lại tại {pl} vào {my} để ký thỏa thuận.",
        "caption": "{p} (trái) và {q} tại tiệc chiêu đãi ở {pl} ngày {d}. Ảnh: {a}",
        "byline": "{author} (Theo {agencies})",
        "leftovers": ("[quangcao_2]", "Nguồn", "Bình luận (0)"),
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class GeneratedSeed:
    """One generated seed: its file name, bytes, and what a site generator needs."""

    name: str
    data: bytes
    title: str
    day: date
    language: str
    body: tuple[str, ...]


def _month(language: str, month: int) -> str:
    return get_month_names("wide", "format", language)[month]


def _day_month(language: str, day: date) -> str:
    # Vietnamese writes "18 tháng 10": the CLDR name already holds "tháng".
    return f"{day.day} {_month(language, day.month)}"


def seed_name(index: int) -> str:
    """Return the file name of seed ``index``: "000123_<16 hex digits>.txt"."""
    digest = hashlib.sha256(f"seed-{index}".encode()).hexdigest()[:16]
    return f"{index:06d}_{digest}.txt"


def make_seed(index: int, *, edit: int = 0) -> GeneratedSeed:
    """Return seed ``index``; ``edit`` > 0 gives an edited version of it (one sentence more)."""
    rng = random.Random(f"seedfeed-bench-{GENERATOR_VERSION}-{index}")
    language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
    words = TEXT[language]
    people = rng.sample(PEOPLE, 2)
    place = rng.choice(PLACES)
    day = date(rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28))
    context_year = day.year - 1 if rng.random() < 0.7 else day.year + 1
    context = date(context_year, rng.randint(1, 12), 1)
    values = {
        "p": people[0],
        "q": people[1],
        "pl": place,
        "d": _day_month(language, day),
        # Vietnamese writes the year after "năm": "tháng 12 năm 2022".
        "my": f"{_month(language, context.month)}{' năm' if language == 'vi' else ''} {context.year}",
    }
    title = rng.choice(words["titles"]).format(**values)
    lead = rng.choice(words["leads"]).format(**values)
    body = [lead]
    for _ in range(rng.randint(3, 9)):
        body.append(" ".join(s.format(**values) for s in rng.sample(words["body"], rng.randint(1, 3))))
    dated = words["past"] if context.year < day.year else words["future"]
    body.insert(rng.randint(3, len(body)), dated.format(**values))
    if edit:
        body[-1] += f" ({edit})" + " " + rng.choice(words["body"]).format(**values)
    caption = words["caption"].format(a=rng.choice(AGENCIES), **values)
    agencies = " , ".join(rng.sample(AGENCIES, rng.randint(1, 2))) + " "
    byline = words["byline"].format(author=rng.choice(AUTHORS), agencies=agencies)
    lines = [title, *body[:2], caption, *body[2:], byline, *words["leftovers"]]
    if rng.random() < 0.1:
        tags = ", ".join(rng.sample(TAGS, 2))
        front = ["---", f"date: {day.isoformat()}T09:30:00+07:00", f"tags: [{tags}]", f"language: {language}", "---"]
        lines = front + lines
    text = "\n".join(lines)
    return GeneratedSeed(
        name=seed_name(index), data=text.encode("utf-8"), title=title, day=day, language=language, body=tuple(body)
    )


def write_corpus(count: int, seeds_dir: Path) -> None:
    """Write seeds 0..count-1 and a feed.toml into ``seeds_dir``, replacing what was there."""
    if seeds_dir.exists():
        shutil.rmtree(seeds_dir)
    seeds_dir.mkdir(parents=True)
    (seeds_dir / "feed.toml").write_text(FEED_TOML, encoding="utf-8")
    for index in range(count):
        seed = make_seed(index)
        (seeds_dir / seed.name).write_bytes(seed.data)


def main() -> None:
    """Write a corpus from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="how many seeds")
    parser.add_argument("seeds_dir", type=Path, help="folder to (re)create")
    args = parser.parse_args()
    write_corpus(args.count, args.seeds_dir)
    print(f"wrote {args.count:,} seeds and feed.toml to {args.seeds_dir}")


if __name__ == "__main__":
    main()
