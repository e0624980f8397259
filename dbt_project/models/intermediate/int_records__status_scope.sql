{#-
    The records whose final status (and duplicate link) this build recomputes:
    the touched records plus every member of the exact-duplicate groups they
    belonged to at the last successful build and belong to now. A group is
    always taken whole, so the original of every group in scope is chosen
    among all its members.
-#}
with

touched_records as (

    select * from {{ ref('int_records__touched') }}

),

classified as not materialized (

    select * from {{ ref('int_records__classified') }}

),

groups_now as (

    select classified.match_group_key
    from classified
    inner join touched_records
        on classified.initiative_key = touched_records.initiative_key
    where classified.match_group_key is not null

),

groups_before as (

    select previous_match_group_key as match_group_key
    from touched_records
    where previous_match_group_key is not null

),

scope_groups as (

    select match_group_key from groups_now
    union
    select match_group_key from groups_before

),

group_members as (

    select classified.initiative_key
    from classified
    inner join scope_groups
        on classified.match_group_key = scope_groups.match_group_key

),

final as (

    select initiative_key from touched_records
    union
    select initiative_key from group_members

)

select * from final
