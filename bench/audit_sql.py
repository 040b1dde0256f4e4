"""The SQL of ``bench/audit.py``: the set-based bulk load, and the hand-written
aggregate of the audit summary's figures that the summary is measured against.

Kept apart from the script so that each statement reads as SQL. Every value
comes in as a psycopg parameter (``%(name)s``); nothing is formatted into the
text.

Pseudo-random but deterministic: ``pg_temp.u(n, salt)`` is a uniform number in
[0, 1) from a hash of the row number and a salt, so the same ``--referrals``
gives the same rows on every run. Each salt is used for one purpose only (two
uses of one salt on one row would be the same number, and correlated).

Salts: 1 repeat patient, 2 duplicate, 3 received, 4 category, 5 service,
6 setting, 7 organisation, 8 duplicate's delay, 9 suspicion time assumed,
10 suspicion to receipt, 11 onset known, 12 primary tumour, 13 onset to
suspicion, 14 pain features, 15 neurological features, 16 imaging findings,
17 known spinal metastases, 18 instability, 19 movement pain, 20 to
acknowledgement, 21 to advice, 22 to MRI, 23 MRI not appropriate, 24 when
marked, 25 no MRI, 26 stability advice, 27/28 its start/stop, 29 surgery,
30/31 its start/stop, 32 radiotherapy, 33/34 its start/stop, 35 dexamethasone
given, 36 to dexamethasone, 37 performance status, 38 frailty, 39 back pain,
40 walking assessed, 41 when, 42 assessed again, 43 when, 44 the second
answer, 45 first assessment withdrawn, 46 died, 47 when, 48 death withdrawn,
49 walking at presentation, 50 the first answer, 51 withdrawn referral,
52 closed as not MSCC, 53 closing delay, 54 still open, 55 not yet
acknowledged, 56 neurology progressing, 57 reason not appropriate, 60-70 a
clock still running (60 + slot), 80-89 the patient, 90 an area's decile, 91/92
event recorded after.
"""

# The helper functions live in pg_temp: they vanish with the load's session.
# SQL bodies, so the planner inlines them into each statement.
FUNCTIONS = """
CREATE FUNCTION pg_temp.u(n bigint, salt integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((hashint8extended(n, salt) >> 11) & 9007199254740991)::double precision
           / 9007199254740992.0
$$;

-- An exponentially distributed delay: mean and cap in hours.
CREATE FUNCTION pg_temp.hours(n bigint, salt integer, mean double precision, cap double precision)
RETURNS interval LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT make_interval(secs => least(-ln(1.0 - pg_temp.u(n, salt)) * mean, cap) * 3600.0)
$$;

-- When episode e was received: uniform over the load's months.
CREATE FUNCTION pg_temp.received(e bigint, t0 timestamptz, span double precision)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t0 + make_interval(secs => pg_temp.u(e, 3) * span)
$$;

CREATE FUNCTION pg_temp.ch(x bigint, shift integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ', ((x >> shift) & 31)::integer + 1, 1)
$$;

CREATE FUNCTION pg_temp.ref_of(x bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'MSCC-' || pg_temp.ch(x, 35) || pg_temp.ch(x, 30) || pg_temp.ch(x, 25)
        || pg_temp.ch(x, 20) || pg_temp.ch(x, 15) || pg_temp.ch(x, 10)
        || pg_temp.ch(x, 5) || pg_temp.ch(x, 0)
$$;

-- Unique: an odd multiplier modulo 2^40 is a bijection, and 40 bits are
-- exactly eight characters of the 32-letter alphabet.
CREATE FUNCTION pg_temp.reference(n bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_temp.ref_of((n * 1103515245 + 12345) & 1099511627775)
$$;

-- A postcode shaped like a real one (at most 8 characters), unique for
-- k < 840,000 (mixed radix 7, 30, 10, 20, 20).
CREATE FUNCTION pg_temp.postcode(k bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ARRAY['LS', 'BD', 'HX', 'HD', 'WF', 'YO', 'HG'])[mod(k, 7)::integer + 1]
        || (mod(k / 7, 30) + 1)::text || ' ' || mod(k / 210, 10)::text
        || substr('ABDEFGHJLNPQRSTUWXYZ', mod(k / 2100, 20)::integer + 1, 1)
        || substr('ABDEFGHJLNPQRSTUWXYZ', mod(k / 42000, 20)::integer + 1, 1)
$$;
"""

# The small tables the big statements join: services (with the pathway
# version and escalation policy new referrals start on, and each one's share
# of referrals as [lo, hi)), organisations numbered within their kind, and
# the clock definitions of each version by slot (the position of the
# definition in pathways.defaults.NG234_DEFAULT_CLOCKS).
LOOKUP_TABLES = """
CREATE TEMP TABLE bench_service (
    service_id bigint, version_id bigint, policy_id bigint,
    lo double precision, hi double precision
);
CREATE TEMP TABLE bench_org (kind text, i integer, org_id bigint, referrer_id bigint);
CREATE TEMP TABLE bench_def (
    version_id bigint, slot integer, definition_id bigint, kind text,
    target interval, reference text, stop_reason text
);
"""

POSTCODES = """
INSERT INTO audit_postcodedeprivation (postcode, lsoa_code, imd_decile)
SELECT pg_temp.postcode(k), 'E01' || lpad((k / 12)::text, 6, '0'),
       1 + floor(pg_temp.u(k / 12, 90) * 10)::integer
FROM generate_series(0, %(postcodes)s::bigint - 1) AS k
"""

# One row per referral with everything the inserts need, computed once.
REFERRAL_PLAN = """
CREATE TEMP TABLE bench_ref AS
WITH seq AS (
    -- About one referral in nine is a patient's second: the previous one's patient.
    SELECT n, n > 1 AND pg_temp.u(n, 1) < 0.12 AND pg_temp.u(n - 1, 1) >= 0.12 AS repeat
    FROM generate_series(1, %(n)s::bigint) AS n
), episode AS MATERIALIZED (
    -- A few of those are the same episode sent twice: closed as a duplicate.
    SELECT n, repeat,
        repeat AND pg_temp.u(n, 2) < 0.15
            AND pg_temp.received(n - 1, %(t0)s, %(span)s) < %(t1)s - interval '7 days'
            AS duplicate
    FROM seq
), keyed AS MATERIALIZED (
    SELECT n, repeat, duplicate,
        CASE WHEN repeat THEN n - 1 ELSE n END AS patient_key,
        CASE WHEN duplicate THEN n - 1 ELSE n END AS e
    FROM episode
), a AS MATERIALIZED (
    SELECT keyed.*,
        CASE WHEN pg_temp.u(e, 4) < 0.35 THEN 'suspected_mscc'
             WHEN pg_temp.u(e, 4) < 0.65 THEN 'suspected_spinal_metastases'
             WHEN pg_temp.u(e, 4) < 0.69 THEN 'emergency_spinal_assessment'
             WHEN pg_temp.u(e, 4) < 0.85 THEN 'oncology_assessment'
             WHEN pg_temp.u(e, 4) < 0.94 THEN 'safety_net'
             ELSE 'no_action' END AS category,
        CASE WHEN duplicate
             THEN least(pg_temp.received(e, %(t0)s, %(span)s) + pg_temp.hours(n, 8, 12, 72),
                        %(t1)s - interval '1 second')
             ELSE pg_temp.received(n, %(t0)s, %(span)s) END AS received_at,
        pg_temp.u(e, 5) AS u_service,
        pg_temp.u(e, 6) AS u_setting,
        pg_temp.u(e, 7) AS u_org,
        pg_temp.u(e, 12) AS u_tumour,
        pg_temp.u(n, 9) < 0.3 AS suspected_at_assumed
    FROM keyed
), b AS MATERIALIZED (
    SELECT a.*,
        category IN ('suspected_mscc', 'emergency_spinal_assessment') AS urgent,
        category IN ('suspected_mscc', 'suspected_spinal_metastases') AS on_pathway,
        CASE WHEN category IN ('suspected_mscc', 'emergency_spinal_assessment') THEN
            CASE WHEN u_setting < 0.35 THEN 'ward' WHEN u_setting < 0.70 THEN 'emergency_department'
                 WHEN u_setting < 0.95 THEN 'gp_practice' ELSE 'other' END
        ELSE
            CASE WHEN u_setting < 0.55 THEN 'gp_practice' WHEN u_setting < 0.85 THEN 'ward'
                 WHEN u_setting < 0.95 THEN 'emergency_department' ELSE 'other' END
        END AS setting,
        CASE WHEN category = 'emergency_spinal_assessment' THEN ''
             WHEN u_tumour < 0.20 THEN 'breast' WHEN u_tumour < 0.40 THEN 'prostate'
             WHEN u_tumour < 0.57 THEN 'lung' WHEN u_tumour < 0.63 THEN 'renal'
             WHEN u_tumour < 0.71 THEN 'myeloma' WHEN u_tumour < 0.75 THEN 'lymphoma'
             WHEN u_tumour < 0.77 THEN 'other_haematological'
             WHEN u_tumour < 0.87 THEN 'other_solid'
             WHEN u_tumour < 0.93 THEN 'unknown_primary' ELSE '' END AS primary_tumour,
        received_at - CASE WHEN suspected_at_assumed THEN interval '0'
                           ELSE pg_temp.hours(n, 10, 10, 168) END AS suspected_at
    FROM a
), c AS MATERIALIZED (
    SELECT b.*,
        CASE WHEN primary_tumour IN ('myeloma', 'lymphoma', 'other_haematological')
             THEN 'confirmed' ELSE 'no' END AS haematological,
        received_at + CASE WHEN urgent THEN pg_temp.hours(n, 20, 0.2, 12)
                           ELSE pg_temp.hours(n, 20, 1.4, 72) END AS ack_stop,
        CASE WHEN category = 'suspected_spinal_metastases'
             THEN received_at + pg_temp.hours(n, 21, 6, 240) END AS advice_stop,
        CASE category WHEN 'suspected_mscc' THEN interval '24 hours'
                      WHEN 'suspected_spinal_metastases' THEN interval '7 days' END AS mri_target,
        CASE category WHEN 'suspected_mscc' THEN suspected_at + pg_temp.hours(n, 22, 12, 240)
                      WHEN 'suspected_spinal_metastases'
                      THEN suspected_at + pg_temp.hours(n, 22, 60, 720) END AS mri_done,
        on_pathway AND pg_temp.u(n, 23) < 0.04 AS mri_na,
        on_pathway AND pg_temp.u(n, 25) < 0.02 AS mri_never,
        (category = 'suspected_mscc' AND pg_temp.u(n, 29) < 0.10)
            OR (category = 'suspected_spinal_metastases' AND pg_temp.u(n, 29) < 0.03) AS surgery,
        CASE WHEN category = 'suspected_mscc' AND pg_temp.u(n, 11) < 0.85
                  OR category = 'emergency_spinal_assessment' AND pg_temp.u(n, 11) < 0.9
             THEN suspected_at - pg_temp.hours(n, 13, 72, 1440) END AS neuro_onset_at
    FROM b
), d AS MATERIALIZED (
    SELECT c.*,
        CASE WHEN mri_na THEN suspected_at + pg_temp.u(n, 24) * mri_target END AS mri_na_at,
        CASE WHEN mri_na THEN (ARRAY['Patient declined MRI.', 'Too unwell for MRI.',
                                     'MRI contraindicated (pacemaker); CT instead.'])
                              [1 + floor(pg_temp.u(n, 57) * 3)::integer] END AS na_reason,
        CASE WHEN on_pathway AND NOT mri_na AND NOT mri_never THEN mri_done END AS mri_stop,
        -- Treatment decisions follow the MRI (or a day after suspicion without one).
        CASE WHEN on_pathway AND NOT mri_na AND NOT mri_never THEN mri_done
             ELSE suspected_at + interval '1 day' END AS anchor,
        CASE WHEN category = 'suspected_mscc' AND NOT surgery AND pg_temp.u(n, 32) < 0.35 THEN 6
             WHEN category = 'suspected_mscc' AND surgery AND pg_temp.u(n, 32) < 0.6 THEN 7
             WHEN category = 'suspected_spinal_metastases' AND pg_temp.u(n, 32) < 0.2 THEN 8
             END AS rt_slot,
        category = 'suspected_mscc'
            OR (category = 'suspected_spinal_metastases' AND haematological = 'confirmed')
            AS dex_applies
    FROM c
), e AS MATERIALIZED (
    SELECT d.*,
        CASE WHEN on_pathway AND pg_temp.u(n, 26) < 0.12
             THEN anchor + pg_temp.hours(n, 27, 2, 48) END AS stab_start,
        CASE WHEN surgery THEN anchor + pg_temp.hours(n, 30, 18, 240) END AS surg_start,
        CASE WHEN dex_applies AND pg_temp.u(n, 35) < 0.85
             THEN suspected_at + pg_temp.hours(n, 36, 4, 96) END AS dex_stop
    FROM d
), f AS MATERIALIZED (
    SELECT e.*,
        stab_start + pg_temp.hours(n, 28, 8, 120) AS stab_stop,
        surg_start + pg_temp.hours(n, 31, 30, 480) AS surg_stop,
        CASE rt_slot WHEN 6 THEN anchor + pg_temp.hours(n, 33, 20, 240)
                     WHEN 7 THEN surg_start + pg_temp.hours(n, 31, 30, 480) + interval '14 days'
                                 + pg_temp.hours(n, 33, 72, 720)
                     WHEN 8 THEN anchor + pg_temp.hours(n, 33, 72, 720) END AS rt_start
    FROM e
), g AS MATERIALIZED (
    SELECT f.*,
        rt_start + CASE rt_slot WHEN 6 THEN pg_temp.hours(n, 34, 12, 240)
                                WHEN 7 THEN pg_temp.hours(n, 34, 48, 480)
                                ELSE pg_temp.hours(n, 34, 96, 720) END AS rt_stop
    FROM f
), h AS MATERIALIZED (
    SELECT g.*,
        greatest(ack_stop, advice_stop, mri_stop, mri_na_at, stab_stop, surg_stop, rt_stop,
                 dex_stop) AS last_stop,
        CASE WHEN category IN ('suspected_mscc', 'suspected_spinal_metastases',
                               'emergency_spinal_assessment')
             THEN CASE WHEN pg_temp.u(n, 49) < 0.62 THEN true
                       WHEN pg_temp.u(n, 49) < 0.85 THEN false END
             ELSE CASE WHEN pg_temp.u(n, 49) < 0.4 THEN true END END AS ambulatory
    FROM g
), i AS MATERIALIZED (
    SELECT h.*,
        CASE WHEN (on_pathway OR category = 'emergency_spinal_assessment') AND NOT duplicate
                  AND pg_temp.u(n, 40) < 0.55
             THEN last_stop + interval '1 day' + pg_temp.hours(n, 41, 72, 720) END AS walk1_at,
        CASE WHEN ambulatory THEN pg_temp.u(n, 50) < 0.88
             WHEN NOT ambulatory THEN pg_temp.u(n, 50) < 0.30
             ELSE pg_temp.u(n, 50) < 0.6 END AS walk1,
        pg_temp.u(n, 45) < 0.02 AS walk1_withdrawn
    FROM h
), j AS MATERIALIZED (
    SELECT i.*,
        CASE WHEN pg_temp.u(n, 42) < 0.10
             THEN walk1_at + interval '7 days' + pg_temp.hours(n, 43, 120, 1440) END AS walk2_at,
        CASE WHEN pg_temp.u(n, 44) < 0.6 THEN walk1 ELSE NOT walk1 END AS walk2
    FROM i
), k AS MATERIALIZED (
    SELECT j.*,
        CASE WHEN NOT duplicate
                  AND pg_temp.u(n, 46) < CASE WHEN on_pathway THEN 0.14 ELSE 0.03 END
             THEN greatest(last_stop, walk1_at, walk2_at) + interval '1 hour'
                  + pg_temp.hours(n, 47, 1320, 8760) END AS died_at,
        pg_temp.u(n, 48) < 0.03 AS died_withdrawn
    FROM j
), l AS MATERIALIZED (
    SELECT k.*,
        CASE WHEN duplicate THEN 'duplicate'
             WHEN died_at <= %(now)s AND NOT died_withdrawn THEN 'died'
             WHEN category = 'emergency_spinal_assessment' THEN 'redirected'
             WHEN pg_temp.u(n, 51) < 0.03 THEN 'withdrawn'
             WHEN on_pathway AND pg_temp.u(n, 52) < 0.15 THEN 'closed_not_mscc'
             ELSE 'closed' END AS close_kind
    FROM k
), m AS MATERIALIZED (
    SELECT l.*,
        CASE close_kind
            WHEN 'duplicate' THEN ack_stop + pg_temp.hours(n, 53, 2, 24)
            WHEN 'died' THEN died_at
            WHEN 'redirected' THEN ack_stop + pg_temp.hours(n, 53, 1, 24)
            WHEN 'withdrawn' THEN ack_stop + pg_temp.hours(n, 53, 12, 72)
            WHEN 'closed_not_mscc' THEN last_stop + pg_temp.hours(n, 53, 48, 240)
            ELSE last_stop + pg_temp.hours(n, 53, 96, 720) END AS close_at
    FROM l
), o AS MATERIALIZED (
    SELECT m.*,
        -- Open: most of the period's last three weeks' referrals, and any not done by now.
        close_kind NOT IN ('duplicate', 'died')
            AND ((received_at > %(t1)s - interval '21 days' AND pg_temp.u(n, 54) < 0.7)
                 OR close_at > %(now)s) AS open
    FROM m
), q AS MATERIALIZED (
    SELECT o.*,
        open AND (ack_stop > %(now)s OR pg_temp.u(n, 55) < 0.04) AS ack_running,
        CASE WHEN open THEN NULL ELSE close_at END AS closed_at,
        CASE WHEN open THEN %(now)s::timestamptz ELSE close_at END AS horizon,
        CASE close_kind
            WHEN 'duplicate' THEN 'Closed as a duplicate of ' || pg_temp.reference(n - 1) || '.'
            WHEN 'died' THEN 'The patient died.'
            WHEN 'redirected' THEN 'Cord compression without cancer: the emergency spinal team.'
            WHEN 'withdrawn' THEN 'The patient declined the pathway.'
            WHEN 'closed_not_mscc' THEN 'MSCC and spinal metastases ruled out on MRI.'
            ELSE 'Episode complete.' END AS status_reason
    FROM o
)
SELECT q.*,
    md5('bench-referral-' || q.n)::uuid AS id,
    pg_temp.reference(q.n) AS reference,
    CASE WHEN q.duplicate THEN md5('bench-referral-' || (q.n - 1))::uuid END AS duplicate_of_id,
    CASE WHEN q.open THEN
             CASE WHEN q.ack_running THEN 'received'
                  WHEN least(q.rt_start, q.surg_start) <= %(now)s THEN 'treating'
                  ELSE 'investigating' END
         WHEN q.close_kind = 'duplicate' THEN 'closed'
         ELSE q.close_kind END AS status,
    CASE q.close_kind WHEN 'duplicate' THEN 'closed' WHEN 'died' THEN 'died'
                      WHEN 'redirected' THEN 'redirected' WHEN 'withdrawn' THEN 'withdrawn'
                      WHEN 'closed_not_mscc' THEN 'closed: not MSCC' ELSE 'closed' END
        AS close_words,
    s.service_id, s.version_id, s.policy_id, o.org_id, o.referrer_id
FROM q
JOIN bench_service s ON q.u_service >= s.lo AND q.u_service < s.hi
JOIN (SELECT kind, count(*) AS n FROM bench_org GROUP BY kind) AS kinds ON kinds.kind = q.setting
JOIN bench_org o ON o.kind = q.setting AND o.i = floor(q.u_org * kinds.n)::integer
"""

# Valid Modulus 11 NHS numbers from the never-issued 999 range, in order,
# from a stem above the demo fixtures' numbers (about 1 stem in 11 has no
# valid check digit and is skipped).
NHS_NUMBERS = """
CREATE TEMP TABLE bench_nhs AS
SELECT row_number() OVER (ORDER BY stem) AS rk,
       stem::text || (CASE WHEN c = 11 THEN 0 ELSE c END)::text AS nhs_number
FROM (
    SELECT stem, 11 - mod(243 + mod(stem / 100000, 10) * 7 + mod(stem / 10000, 10) * 6
                          + mod(stem / 1000, 10) * 5 + mod(stem / 100, 10) * 4
                          + mod(stem / 10, 10) * 3 + mod(stem, 10) * 2, 11) AS c
    FROM generate_series(%(stem_first)s::bigint, %(stem_last)s::bigint) AS stem
) AS stems
WHERE c <> 10
"""

PATIENT_PLAN = """
CREATE TEMP TABLE bench_patient AS
SELECT n AS key, row_number() OVER (ORDER BY n) AS rk, received_at
FROM bench_ref WHERE NOT repeat
"""

PATIENTS = """
INSERT INTO referrals_patient (id, nhs_number, given_name, family_name, date_of_birth, sex,
                               postcode, imd_decile, created_at)
SELECT %(patient_base)s::bigint + p.rk, x.nhs_number,
    (ARRAY['Ada', 'Brian', 'Carla', 'Dev', 'Elin', 'Femi', 'Gwen', 'Hari', 'Iris', 'Jon',
           'Kemi', 'Lars', 'Mona', 'Nico', 'Orla', 'Piet'])
        [1 + floor(pg_temp.u(p.key, 88) * 16)::integer],
    (ARRAY['Testpatient', 'Syntheticson', 'Fictional', 'Placeholder', 'Benchmark', 'Sample',
           'Example', 'Madeup', 'Dummy', 'Notreal', 'Mockford', 'Stubbs', 'Fakeley', 'Proxy',
           'Standin', 'Trial'])[1 + floor(pg_temp.u(p.key, 89) * 16)::integer],
    (p.received_at AT TIME ZONE 'Europe/London')::date
        - CASE WHEN pg_temp.u(p.key, 80) < 0.004
               THEN 2190 + floor(pg_temp.u(p.key, 81) * 4000)::integer
               ELSE floor((35 + 30 * (pg_temp.u(p.key, 81) + pg_temp.u(p.key, 82)))
                          * 365.25)::integer
          END,
    CASE WHEN pg_temp.u(p.key, 83) < 0.49 THEN 'female'
         WHEN pg_temp.u(p.key, 83) < 0.985 THEN 'male'
         WHEN pg_temp.u(p.key, 83) < 0.99 THEN 'other' ELSE 'not_known' END,
    CASE WHEN pg_temp.u(p.key, 84) < 0.90
             THEN pg_temp.postcode(floor(pg_temp.u(p.key, 85) * %(postcodes)s)::bigint)
         WHEN pg_temp.u(p.key, 84) < 0.97 THEN 'ZZ99 3VZ'
         ELSE '' END,
    CASE WHEN pg_temp.u(p.key, 86) < 0.06 THEN 1 + floor(pg_temp.u(p.key, 87) * 10)::integer END,
    p.received_at
FROM bench_patient p JOIN bench_nhs x ON x.rk = p.rk
"""

PATIENT_SEQUENCE = """
SELECT setval(pg_get_serial_sequence('referrals_patient', 'id'),
              (SELECT max(id) FROM referrals_patient))
"""

REFERRALS = """
INSERT INTO referrals_referral (
    id, reference, received_at, suspected_at, neuro_onset_at, neuro_progressing,
    cancer_status, primary_tumour, haematological, pain_features, neuro_features,
    imaging_findings, known_spinal_metastases, back_pain, instability_signs, movement_pain,
    performance_status, frailty_score, ambulatory, presentation, neurological_assessment,
    imaging_report, oncology_history, individual_needs, referrer_contact, triage_category,
    category, category_override_reason, category_overridden_at, status, acknowledged_at,
    identity_check_required, identity_check_note, acknowledged_by_id, category_overridden_by_id,
    pathway_version_id, patient_id, referred_by_id, referring_organisation_id, service_id,
    redirected_to, status_changed_at, status_reason, escalation_policy_id, status_before_close,
    sent_date_of_birth, sent_family_name, sent_given_name, sent_postcode, sent_sex,
    imaging_modality, suspected_at_assumed, suspected_at_reason, duplicate_of_id,
    category_reason, overridden_category
)
SELECT r.id, r.reference, r.received_at, r.suspected_at, r.neuro_onset_at,
    CASE WHEN r.neuro_onset_at IS NOT NULL THEN pg_temp.u(r.n, 56) < 0.6 END,
    CASE WHEN r.category = 'emergency_spinal_assessment' THEN 'none'
         WHEN r.primary_tumour IN ('', 'unknown_primary') THEN 'suspected'
         ELSE 'current_or_past' END,
    r.primary_tumour, r.haematological,
    CASE WHEN r.category = 'no_action' THEN '[]'
         ELSE (ARRAY['["progressive"]', '["severe_unremitting", "nocturnal"]', '["mechanical"]',
                     '["progressive", "localised_tenderness"]'])
              [1 + floor(pg_temp.u(r.n, 14) * 4)::integer] END::jsonb,
    CASE r.category
        WHEN 'suspected_mscc' THEN (ARRAY['["limb_weakness"]', '["gait", "sensory"]',
                                          '["bladder_bowel", "limb_weakness"]', '["radicular"]'])
                                   [1 + floor(pg_temp.u(r.n, 15) * 4)::integer]
        WHEN 'emergency_spinal_assessment' THEN '["cord_signs"]'
        ELSE '[]' END::jsonb,
    CASE WHEN r.category = 'suspected_spinal_metastases' AND pg_temp.u(r.n, 16) < 0.1
         THEN 'spinal_metastases' ELSE 'none' END,
    r.on_pathway AND pg_temp.u(r.n, 17) < 0.15,
    r.category NOT IN ('safety_net', 'no_action') OR pg_temp.u(r.n, 39) < 0.5,
    r.on_pathway AND pg_temp.u(r.n, 18) < 0.05,
    (ARRAY['none', 'mild', 'moderate', 'severe'])[1 + floor(pg_temp.u(r.n, 19) * 4)::integer],
    CASE WHEN pg_temp.u(r.n, 37) < 0.7 THEN floor(pg_temp.u(r.n, 37) / 0.7 * 5)::integer END,
    CASE WHEN pg_temp.u(r.n, 38) < 0.5 THEN 1 + floor(pg_temp.u(r.n, 38) / 0.5 * 9)::integer END,
    r.ambulatory,
    'Synthetic benchmark referral.', '', '', '', '', '',
    r.category, r.category, '', NULL, r.status,
    CASE WHEN r.ack_running THEN NULL ELSE r.ack_stop END,
    false, '',
    CASE WHEN r.ack_running THEN NULL ELSE %(coordinator)s::bigint END,
    NULL, r.version_id, pt.id, r.referrer_id, r.org_id, r.service_id,
    CASE WHEN r.status = 'redirected' THEN 'Emergency spinal team, Demo General Hospital'
         ELSE '' END,
    CASE WHEN r.open THEN CASE WHEN r.ack_running THEN NULL ELSE r.ack_stop END
         ELSE r.closed_at END,
    CASE WHEN r.open THEN '' ELSE r.status_reason END,
    r.policy_id,
    CASE WHEN r.open THEN ''
         WHEN r.close_kind IN ('duplicate', 'redirected', 'withdrawn') THEN 'triaged'
         ELSE 'rehabilitation' END,
    pt.date_of_birth, pt.family_name, pt.given_name, pt.postcode, pt.sex,
    '', r.suspected_at_assumed, '', r.duplicate_of_id, '', ''
FROM bench_ref r
JOIN bench_patient p ON p.key = r.patient_key
JOIN referrals_patient pt ON pt.id = %(patient_base)s::bigint + p.rk
"""

# Each referral's clocks, one VALUES row per definition slot that applies;
# the state follows from the referral's plan:
#   na        marked not appropriate (by then): cancelled, out of the denominator
#   stopped   its stop event came by the horizon (now, or when the referral closed)
#   running   the referral is open (a few clocks are still running on open referrals)
#   cancelled the referral closed before it stopped
CLOCKS = """
INSERT INTO pathways_clock (
    id, kind, target, reference, started_at, due_at, stopped_at, status, stop_reason,
    referral_id, definition_id, not_appropriate, not_appropriate_at, not_appropriate_by_id,
    not_appropriate_reason, started_by_event_id, stopped_by_event_id, next_escalation_at, void
)
SELECT md5('bench-clock-' || c.slot || '-' || r.n)::uuid, d.kind, d.target, d.reference,
    c.started_at, c.started_at + d.target,
    CASE x.state WHEN 'running' THEN NULL WHEN 'stopped' THEN c.stop_at
                 WHEN 'na' THEN c.na_at ELSE r.closed_at END,
    CASE x.state WHEN 'running' THEN 'running'
                 WHEN 'stopped' THEN CASE WHEN d.target IS NULL
                                               OR c.stop_at <= c.started_at + d.target
                                          THEN 'met' ELSE 'met_late' END
                 ELSE 'cancelled' END,
    CASE x.state WHEN 'running' THEN '' WHEN 'stopped' THEN d.stop_reason
                 WHEN 'na' THEN 'Not appropriate: ' || c.na_reason
                 ELSE 'Referral ' || r.close_words || ': ' || r.status_reason END,
    r.id, d.definition_id, x.state = 'na',
    CASE WHEN x.state = 'na' THEN c.na_at END,
    CASE WHEN x.state = 'na' THEN %(coordinator)s::bigint END,
    CASE WHEN x.state = 'na' THEN c.na_reason ELSE '' END,
    NULL,
    CASE WHEN x.state = 'stopped' AND c.slot IN (3, 4)
         THEN md5('bench-event-mri-' || r.n)::uuid END,
    NULL, false
FROM bench_ref r
CROSS JOIN LATERAL (VALUES
    (CASE WHEN r.urgent THEN 0 ELSE 1 END, true, true, r.received_at, r.ack_stop,
     NULL::timestamptz, NULL::text),
    (2, r.category = 'suspected_spinal_metastases', true, r.received_at, r.advice_stop, NULL, NULL),
    (CASE WHEN r.category = 'suspected_mscc' THEN 3 ELSE 4 END, r.on_pathway, true,
     r.suspected_at, r.mri_stop, r.mri_na_at, r.na_reason),
    (5, r.stab_start IS NOT NULL, false, r.stab_start, r.stab_stop, NULL, NULL),
    (r.rt_slot, r.rt_slot IS NOT NULL, false, r.rt_start, r.rt_stop, NULL, NULL),
    (9, r.dex_applies, true, r.suspected_at, r.dex_stop, NULL, NULL),
    (10, r.surg_start IS NOT NULL, false, r.surg_start, r.surg_stop, NULL, NULL)
) AS c(slot, applies, at_intake, started_at, stop_at, na_at, na_reason)
CROSS JOIN LATERAL (SELECT CASE
    WHEN c.na_at <= r.horizon THEN 'na'
    WHEN r.ack_running THEN 'running'
    WHEN c.stop_at <= r.horizon
         AND NOT (r.open AND c.slot > 1 AND pg_temp.u(r.n, 60 + c.slot) < 0.1) THEN 'stopped'
    WHEN r.open THEN 'running'
    ELSE 'cancelled' END AS state) AS x
JOIN bench_def d ON d.version_id = r.version_id AND d.slot = c.slot
WHERE c.applies AND c.started_at <= r.horizon AND (c.at_intake OR NOT r.ack_running)
"""

# The MRI events that stopped the MRI clocks (the clocks name them).
MRI_EVENTS = """
INSERT INTO pathways_clinicalevent (id, kind, occurred_at, recorded_at, details,
                                    recorded_by_id, referral_id, corrects_id, ambulatory)
SELECT c.stopped_by_event_id, 'mri_performed', c.stopped_at,
    least(c.stopped_at + pg_temp.hours(r.n, 91, 2, 48), %(now)s), '', %(coordinator)s::bigint,
    c.referral_id, NULL, NULL
FROM pathways_clock c JOIN bench_ref r ON r.id = c.referral_id
WHERE c.kind = 'mri' AND c.stopped_by_event_id IS NOT NULL
"""

# Walking assessed (once or twice), deaths, and a few of each withdrawn by an
# entered_in_error event: what the outcome figures read.
OUTCOME_EVENTS = """
INSERT INTO pathways_clinicalevent (id, kind, occurred_at, recorded_at, details,
                                    recorded_by_id, referral_id, corrects_id, ambulatory)
SELECT md5('bench-event-' || e.tag || '-' || r.n)::uuid, e.kind, e.at,
    least(e.at + pg_temp.hours(r.n, 92, 1, 24), %(now)s),
    CASE WHEN e.corrects IS NULL THEN '' ELSE 'Recorded on the wrong patient.' END,
    %(coordinator)s::bigint, r.id,
    CASE WHEN e.corrects IS NOT NULL THEN md5('bench-event-' || e.corrects || '-' || r.n)::uuid END,
    e.ambulatory
FROM bench_ref r
CROSS JOIN LATERAL (VALUES
    ('walk1', 'ambulatory_assessed', r.walk1_at, r.walk1, NULL::text),
    ('walk2', 'ambulatory_assessed', r.walk2_at, r.walk2, NULL),
    ('walk1-error', 'entered_in_error',
     CASE WHEN r.walk1_withdrawn THEN r.walk1_at + interval '1 hour' END, NULL, 'walk1'),
    ('died', 'died', r.died_at, NULL, NULL),
    ('died-error', 'entered_in_error',
     CASE WHEN r.died_withdrawn THEN r.died_at + interval '2 hours' END, NULL, 'died')
) AS e(tag, kind, at, ambulatory, corrects)
WHERE e.at <= %(now)s
"""

LOADED_TABLES = (
    "referrals_patient",
    "referrals_referral",
    "pathways_clock",
    "pathways_clinicalevent",
    "audit_postcodedeprivation",
    "referrals_organisation",
    "referrals_service",
)


# --- the hand-written aggregate ------------------------------------------------

# Every figure of the summary, unsuppressed, by month and for the whole
# period, in one statement. Rows: (part, month index or NULL for the whole
# period, dimension / clock kind / interval, code / reference, target, n,
# not_appropriate, eligible, pending, met, stopped, median, p90).
#   part 'n': referrals by breakdown ('total' with code '')
#   part 't': timeliness by (kind, reference, target)
#   part 'i': intervals
# How it keeps the work to one pass of each table:
# * the scope's referrals are read once, with patient and postcode decile
#   (hash joins), into a MATERIALIZED CTE that every part reads;
# * the walking and death events are read once (kind filter, withdrawn ones
#   anti-joined), joined to the scope and aggregated per referral by hash:
#   the latest walking answer is the greatest (occurred, recorded, answer)
#   array, so no sort is needed;
# * every breakdown's counts by month and in total come from one GROUPING
#   SETS aggregate;
# * a clock's standard (kind, reference, target) becomes a small integer
#   before the sort its percentiles need, so the sort's rows stay narrow;
#   cancelled clocks not marked not appropriate count nowhere and are
#   filtered out first;
# * the intervals by month and in total are one GROUPING SETS aggregate.
HAND_WRITTEN = """
WITH scope AS MATERIALIZED (
    SELECT r.id, r.received_at, r.neuro_onset_at, r.acknowledged_at, r.category,
        r.primary_tumour, r.ambulatory, r.referring_organisation_id,
        (extract(year FROM r.received_at AT TIME ZONE 'Europe/London') * 12
         + extract(month FROM r.received_at AT TIME ZONE 'Europe/London') - 1)::integer AS month,
        date_part('year', age((r.received_at AT TIME ZONE 'Europe/London')::date,
                              p.date_of_birth))::integer AS age,
        p.sex, coalesce(p.imd_decile, pd.imd_decile) AS decile
    FROM referrals_referral r
    JOIN referrals_service s ON s.id = r.service_id
    JOIN referrals_patient p ON p.id = r.patient_id
    LEFT JOIN audit_postcodedeprivation pd ON pd.postcode = p.postcode
    WHERE s.alliance_id = %(alliance)s
      AND (%(service)s::bigint IS NULL OR r.service_id = %(service)s::bigint)
      AND r.received_at >= %(start)s AND r.received_at < %(end)s
      AND r.duplicate_of_id IS NULL
),
outcomes AS (
    SELECT e.referral_id,
        -- The latest standing assessment: the greatest (occurred, recorded) wins.
        (max(ARRAY[extract(epoch FROM e.occurred_at), extract(epoch FROM e.recorded_at),
                   e.ambulatory::integer])
            FILTER (WHERE e.kind = 'ambulatory_assessed'))[3] AS walking_after,
        bool_or(e.kind = 'died' AND e.occurred_at < s.received_at + interval '30 days') AS died_30
    FROM pathways_clinicalevent e
    JOIN scope s ON s.id = e.referral_id
    WHERE e.kind IN ('ambulatory_assessed', 'died')
      AND NOT EXISTS (SELECT FROM pathways_clinicalevent x WHERE x.corrects_id = e.id)
    GROUP BY e.referral_id
),
counts AS (
    SELECT month,
        GROUPING(category, tumour, setting, organisation, age_band, sex, decile, walking_at,
                 walking_after, died_30) AS set_id,
        category, tumour, setting, organisation, age_band, sex, decile, walking_at,
        walking_after, died_30, count(*) AS n
    FROM (
        SELECT s.month, s.category,
            CASE WHEN s.primary_tumour = '' THEN 'none_known' ELSE s.primary_tumour END AS tumour,
            o.kind AS setting, o.code AS organisation,
            CASE WHEN s.age < 18 THEN 'under_18' WHEN s.age < 50 THEN '18_49'
                 WHEN s.age < 60 THEN '50_59' WHEN s.age < 70 THEN '60_69'
                 WHEN s.age < 80 THEN '70_79' ELSE '80_plus' END AS age_band,
            s.sex, coalesce(s.decile::text, 'unknown') AS decile,
            CASE s.ambulatory WHEN true THEN 'yes' WHEN false THEN 'no'
                              ELSE 'not_recorded' END AS walking_at,
            CASE w.walking_after WHEN 1 THEN 'yes' WHEN 0 THEN 'no'
                                 ELSE 'not_recorded' END AS walking_after,
            CASE WHEN w.died_30 THEN 'yes' ELSE 'no' END AS died_30
        FROM scope s
        JOIN referrals_organisation o ON o.id = s.referring_organisation_id
        LEFT JOIN outcomes w ON w.referral_id = s.id
    ) AS coded
    GROUP BY GROUPING SETS (
        (month), (), (month, category), (category), (month, tumour), (tumour),
        (month, setting), (setting), (month, organisation), (organisation),
        (month, age_band), (age_band), (month, sex), (sex), (month, decile), (decile),
        (month, walking_at), (walking_at), (month, walking_after), (walking_after),
        (month, died_30), (died_30)
    )
),
standards AS (
    SELECT kind, reference, coalesce(target, interval '-1 second') AS target_key, target,
        row_number() OVER () AS sid
    FROM (SELECT DISTINCT kind, reference, target FROM pathways_clockdefinition) d
),
clocks AS (
    SELECT s.month, st.sid, c.not_appropriate, c.status, c.due_at,
        extract(epoch FROM c.stopped_at - c.started_at) / 3600.0 AS hours,
        -- QS56: a standard ended unmet once it was due (a death, the referral
        -- closed) while the referral's category is still one its clock's
        -- definition applies to was missed, not dropped.
        (c.status = 'cancelled' AND c.stopped_at >= c.due_at
         AND cd.categories ? s.category) AS missed
    FROM scope s
    JOIN pathways_clock c ON c.referral_id = s.id
    JOIN pathways_clockdefinition cd ON cd.id = c.definition_id
    JOIN standards st ON st.kind = c.kind AND st.reference = c.reference
                     AND st.target_key = coalesce(c.target, interval '-1 second')
    WHERE NOT c.void
      AND (c.status <> 'cancelled' OR c.not_appropriate OR c.stopped_at >= c.due_at)
),
timeliness AS (
    SELECT month, sid,
        count(*) FILTER (WHERE not_appropriate) AS not_appropriate,
        count(*) FILTER (WHERE NOT not_appropriate
                           AND (status IN ('met', 'met_late') OR missed
                                OR (status = 'running' AND due_at <= %(now)s))) AS eligible,
        count(*) FILTER (WHERE NOT not_appropriate AND status = 'running'
                           AND (due_at > %(now)s OR due_at IS NULL)) AS pending,
        count(*) FILTER (WHERE NOT not_appropriate AND status = 'met') AS met,
        count(*) FILTER (WHERE NOT not_appropriate AND status IN ('met', 'met_late')) AS stopped,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)
            FILTER (WHERE NOT not_appropriate AND status IN ('met', 'met_late')) AS median,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY hours)
            FILTER (WHERE NOT not_appropriate AND status IN ('met', 'met_late')) AS p90
    FROM clocks
    GROUP BY GROUPING SETS ((sid, month), (sid))
),
intervals AS (
    SELECT month,
        count(neuro_onset_at) AS onset_n,
        percentile_cont(0.5) WITHIN GROUP (
            ORDER BY extract(epoch FROM received_at - neuro_onset_at) / 3600.0) AS onset_median,
        percentile_cont(0.9) WITHIN GROUP (
            ORDER BY extract(epoch FROM received_at - neuro_onset_at) / 3600.0) AS onset_p90,
        count(acknowledged_at) AS ack_n,
        percentile_cont(0.5) WITHIN GROUP (
            ORDER BY extract(epoch FROM acknowledged_at - received_at) / 3600.0) AS ack_median,
        percentile_cont(0.9) WITHIN GROUP (
            ORDER BY extract(epoch FROM acknowledged_at - received_at) / 3600.0) AS ack_p90
    FROM scope
    GROUP BY GROUPING SETS ((month), ())
)
SELECT 'n' AS part, month,
    CASE set_id WHEN 1023 THEN 'total' WHEN 511 THEN 'category' WHEN 767 THEN 'primary_tumour'
                WHEN 895 THEN 'referring_setting' WHEN 959 THEN 'organisation'
                WHEN 991 THEN 'age_band' WHEN 1007 THEN 'sex' WHEN 1015 THEN 'imd_decile'
                WHEN 1019 THEN 'ambulatory_at_presentation'
                WHEN 1021 THEN 'ambulatory_after_treatment'
                WHEN 1022 THEN 'died_within_30_days' END AS dimension,
    coalesce(category, tumour, setting, organisation, age_band, sex, decile, walking_at,
             walking_after, died_30, '') AS code,
    NULL::interval AS target, n, NULL::bigint AS not_appropriate, NULL::bigint AS eligible,
    NULL::bigint AS pending, NULL::bigint AS met, NULL::bigint AS stopped,
    NULL::double precision AS median, NULL::double precision AS p90
FROM counts
UNION ALL
SELECT 't', t.month, st.kind, st.reference, st.target, NULL, t.not_appropriate, t.eligible,
    t.pending, t.met, t.stopped, t.median, t.p90
FROM timeliness t JOIN standards st ON st.sid = t.sid
UNION ALL
SELECT 'i', month, 'onset_to_referral', '', NULL, onset_n, NULL, NULL, NULL, NULL, NULL,
    onset_median, onset_p90
FROM intervals
UNION ALL
SELECT 'i', month, 'referral_to_acknowledgement', '', NULL, ack_n, NULL, NULL, NULL, NULL, NULL,
    ack_median, ack_p90
FROM intervals
"""
