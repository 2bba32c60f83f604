"""ROC AUC as scipy gives it (Mann-Whitney U / (n_pos * n_neg)) for scores in DATA joined to the
truth by id (TRUTH, or the data's own target column when TRUTH is '-').
Usage: scipy_auc.py DATA TRUTH ID TARGET SCORE [START END]  (START/END: a slice of DATA's rows)"""
import csv
import sys

from scipy.stats import mannwhitneyu

data, truth, id_col, target, score = sys.argv[1:6]
rows = list(csv.DictReader(open(data, newline='')))
if len(sys.argv) > 7:
    rows = rows[int(sys.argv[6]):int(sys.argv[7])]
if truth == '-':
    y = [float(r[target]) for r in rows]
else:
    t = {r[id_col]: float(r[target]) for r in csv.DictReader(open(truth, newline=''))}
    y = [t[r[id_col]] for r in rows]
s = [float(r[score]) for r in rows]
pos = [a for a, b in zip(s, y) if b == 1]
neg = [a for a, b in zip(s, y) if b == 0]
print(repr(mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg))))
