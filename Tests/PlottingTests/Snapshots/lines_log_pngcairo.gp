# dprm figure
set encoding utf8
set terminal pngcairo size 800,500 noenhanced
set output "out/lines.png"
$data0 << EOD
0.0 1.0
1.0 0.5
2.0 0.25
3.0 0.125
EOD
$data1 << EOD
0.0 0.9
2.0 0.3
EOD
$data2 << EOD
1.0 0.7
2.0 NaN
3.0 0.2
EOD
set title "loss of \"run_1\" \\ #3 @home $x" noenhanced
set xlabel "step" noenhanced
set ylabel "loss (log)" noenhanced
set logscale y 10.0
set xrange [0.0:*]
set yrange [0.1:1.5]
set key bottom left
set grid
plot $data0 using 1:2 with lines lc rgb "#1f77b4" lw 1.5 dt 1 title "lower_loss" noenhanced, $data1 using 1:2 with linespoints lc rgb "#123456" lw 2.0 dt 4 pt 5 ps 1.5 title "meta loss" noenhanced, $data2 using 1:2 with lines lc rgb "#2ca02c" lw 1.5 dt 3 notitle
unset output
