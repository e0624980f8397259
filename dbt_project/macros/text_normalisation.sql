{#-
    Matching keys for duplicate detection (contract §4 "Duplicates").

    The servers run with `--locale C`: `lower()` folds ASCII only and the
    `unaccent` extension may be missing. So every letter is first decomposed
    (`normalize(x, nfd)`: ế = e + U+0302 + U+0301, ơ = o + U+031B, …) and its
    combining marks U+0300–U+036F — the tone and vowel marks — are removed;
    `translate()` then maps đ/Đ (which does not decompose) to d. Every
    precomposed Vietnamese letter, upper or lower case (macro
    `vietnamese_letters`), thus becomes its ASCII base letter, the same as a
    `translate()` over that full table, which is about four times slower on
    titles (every letter is checked in tests/test_models_pipeline.py). Then ASCII is lower-cased,
    every run of characters other than a-z and 0-9 (punctuation, white space,
    any other script) becomes one space, and the ends are trimmed.
-#}

{#- Every precomposed Vietnamese letter (NFC, both cases) and its ASCII base, for reference and tests. -#}
{% macro vietnamese_letters() -%}
    àÀáÁảẢãÃạẠăĂằẰắẮẳẲẵẴặẶâÂầẦấẤẩẨẫẪậẬèÈéÉẻẺẽẼẹẸêÊềỀếẾểỂễỄệỆìÌíÍỉỈĩĨịỊòÒóÓỏỎõÕọỌôÔồỒốỐổỔỗỖộỘơƠờỜớỚởỞỡỠợỢùÙúÚủỦũŨụỤưƯừỪứỨửỬữỮựỰỳỲýÝỷỶỹỸỵỴđĐ
{%- endmacro %}

{% macro vietnamese_letters_ascii() -%}
    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeeeeeeeiiiiiiiiiioooooooooooooooooooooooooooooooooouuuuuuuuuuuuuuuuuuuuuuyyyyyyyyyydd
{%- endmacro %}

{% macro strip_vietnamese_marks(expression) -%}
    translate(regexp_replace(normalize({{ expression }}, nfd), '[\u0300-\u036f]+', '', 'g'), 'đĐ', 'dD')
{%- endmacro %}

{#- The above without the trimming; characters in `keep` (a regex class body) are kept as they are. -#}
{% macro fold_for_matching(expression, keep='') -%}
    regexp_replace(lower({{ strip_vietnamese_marks(expression) }}), '[^a-z0-9{{ keep }}]+', ' ', 'g')
{%- endmacro %}

{% macro normalise_for_matching(expression) -%}
    btrim({{ fold_for_matching(expression) }})
{%- endmacro %}

{#-
    Authors as a set: split on ';', each name normalised, empties dropped,
    distinct, sorted (byte order), joined with ';'. The whole list is folded
    once, keeping the ';' (no mark and no run of other characters spans one),
    then split and trimmed: the same names as folding each one, 45 % faster.
-#}
{% macro author_set_key(expression) -%}
    (
        select string_agg(author_name, ';' order by author_name)
        from (
            select distinct btrim(author_part) collate "C" as author_name
            from unnest(string_to_array({{ fold_for_matching(expression, ';') }}, ';')) as author_part
        ) as author_names
        where author_name <> ''
    )
{%- endmacro %}

{#-
    Blocking tokens for the near-duplicate search: the three distinct title
    tokens with the smallest md5 (a min-hash), in that order, leaving out the
    very common words of var('near_duplicate_stop_tokens') (they would put
    most titles of an author in one block). Blocking keys are built from pairs
    of them (see int_records__classified): two titles with three or more
    uncommon tokens that differ by one substituted token (a typo) or only in
    word order always share a pair — the two smallest uncommon tokens they have
    in common are among the three smallest of each. Titles with fewer uncommon
    tokens are blocked on the author set alone.
-#}
{% macro title_block_tokens(title_key) -%}
    (
        select array_agg(title_token order by md5(title_token), title_token)
        from (
            select distinct title_token collate "C" as title_token
            from unnest(string_to_array({{ title_key }}, ' ')) as title_token
            where title_token <> ''
                and title_token <> all (array[
                    {%- for stop in var('near_duplicate_stop_tokens') -%}
                    '{{ stop }}'{{ ', ' if not loop.last }}
                    {%- endfor -%}
                ]::text[])
        ) as title_tokens
    )[1:3]
{%- endmacro %}

{% macro local_date(timestamp_expression) -%}
    ({{ timestamp_expression }} at time zone '{{ var("local_time_zone") }}')::date
{%- endmacro %}

{#- Exact-duplicate group: md5 of the normalised title and the author set (no names leave intermediate). -#}
{% macro match_group_key(title_key, author_set_key) -%}
    md5({{ title_key }} || '|' || {{ author_set_key }})
{%- endmacro %}
