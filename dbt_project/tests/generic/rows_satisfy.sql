{#- Fails with every row for which the boolean SQL `expression` is not true. -#}
{% test rows_satisfy(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
