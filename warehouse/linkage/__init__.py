"""Linkage: listings of different sources that describe one real group, centre or organisation
become one entity with a stable id.

- `features`: what the comparison needs of one listing, computed once;
- `evidence`: what two listings' names, places (the same street and house?) and contact data
  say about the pair;
- `rules`: the match rules, one ordered table (`RULES`): which evidence links a pair and why;
- `blocking`: the candidate pairs, every pair a rule can link without scoring all pairs of a
  town;
- `entities`: matched pairs clustered into components, stable entity ids, and the night's
  step over the warehouse (`link_entities`), skipped when its input is unchanged;
- `decisions`: a person's decisions (linkage-decisions.toml) and the queue of uncertain pairs
  (`shg review`).
"""
