-- review/selection: the pairs of `review_filtered` a bulk action would change, as a decision names
-- them: (chosen_seq, rejected_seq) before any flip, in output order.
-- Parameters: $action ('exclude': pairs not excluded yet; 'flip': pairs neither flipped nor
-- excluded; 'note': every pair).
-- Rows: chosen_seq, rejected_seq.
SELECT chosen_seq, rejected_seq
FROM review_filtered
WHERE ($action = 'exclude' AND NOT excluded)
   OR ($action = 'flip' AND NOT flipped AND NOT excluded)
   OR $action = 'note'
ORDER BY pos
