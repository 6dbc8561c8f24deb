META
key;value
description;A hand-made participatory vote for tests (tests/test_residents_vote.py works out its winners)
country;United Kingdom
unit;Tiny two-area example
instance;2026
num_projects;4
num_votes;10
budget;55000
vote_type;approval
rule;greedy
currency;GBP
PROJECTS
project_id;cost;votes;name;intervention;area;year
p1;30000;6;Family hub sessions on the estate;early_help;E01000001;1
p2;20000;5;Youth club in the market town;youth_diversion;E01000002;
p3;20000;4;Detached youth work on the estate;youth_diversion;E01000001;
p4;5000;1;Benches in the park;;;
VOTES
voter_id;vote
v01;p1,p2
v02;p1,p2
v03;p1,p2
v04;p1,p2
v05;p1,p2
v06;p1
v07;p3
v08;p3
v09;p3
v10;p3,p4
