# dprm figure
set encoding utf8
set terminal dumb size 100,30 noenhanced
$data0 << EOD
1.0 0.5
2.0 0.56
4.0 0.6
8.0 0.63
EOD
$data1 << EOD
1.0 0.5
2.0 0.55
4.0 0.57
8.0 0.58
EOD
$data2 << EOD
1.0 0.5
8.0 0.5
EOD
$data3 << EOD
1.0 0.5
2.0 0.7
4.0 0.8
8.0 0.88
EOD
set title "best-of-N accuracy" noenhanced
set xlabel "N (candidates)" noenhanced
set ylabel "accuracy" noenhanced
set logscale x 2.0
set yrange [0.481:0.899]
set key bottom right
set grid
plot $data0 using 1:2 with linespoints lc rgb "#1f77b4" lw 1.5 dt 1 pt 7 ps 1.0 title "mean" noenhanced, $data1 using 1:2 with linespoints lc rgb "#ff7f0e" lw 1.5 dt 1 pt 7 ps 1.0 title "min" noenhanced, $data2 using 1:2 with lines lc rgb "#2ca02c" lw 1.5 dt 2 title "first" noenhanced, $data3 using 1:2 with lines lc rgb "#d62728" lw 1.5 dt 2 title "oracle" noenhanced
unset output
