# Reference forecasts from R's forecast package (Debian r-cran-forecast) for the accuracy benchmark.
# usage: Rscript reference.R series.jsonl out.jsonl   (one JSON series per line: id, frequency, h, x)
suppressPackageStartupMessages({ library(forecast); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
input <- readLines(args[1])
out <- file(args[2], "w")
for (line in input) {
  s <- fromJSON(line)
  y <- ts(s$x, frequency = s$frequency)
  t0 <- proc.time()[["elapsed"]]
  fit <- ets(y)
  ets_mean <- as.numeric(forecast(fit, h = s$h)$mean)
  t1 <- proc.time()[["elapsed"]]
  theta_mean <- as.numeric(thetaf(y, h = s$h)$mean)
  t2 <- proc.time()[["elapsed"]]
  writeLines(toJSON(list(id = s$id, etsModel = fit$method, ets = ets_mean, theta = theta_mean,
                         etsSeconds = t1 - t0, thetaSeconds = t2 - t1), auto_unbox = TRUE, digits = NA), out)
}
close(out)
