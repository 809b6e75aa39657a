# Exports the M3 series of robjhyndman/Mcomp (data/M3.rda, GPL-3 package; the data are the public M3 competition set)
# to data/m3.jsonl.gz: Rscript export-m3.R && gzip -9 m3.jsonl
load("M3.rda")
esc <- function(v) paste0("[", paste(format(v, digits = 15, scientific = FALSE, trim = TRUE), collapse = ","), "]")
freq <- c(YEARLY = 1, QUARTERLY = 4, MONTHLY = 12, OTHER = 1)
lines <- vapply(M3, function(s) sprintf('{"id":"%s","period":"%s","frequency":%d,"h":%d,"x":%s,"xx":%s}', s$sn, s$period, as.integer(freq[[s$period]]), as.integer(s$h), esc(as.numeric(s$x)), esc(as.numeric(s$xx))), "")
writeLines(lines, "m3.jsonl")
