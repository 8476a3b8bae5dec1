# dprm figure
set encoding utf8
set terminal png size 640,480 noenhanced
set output "traj.png"
$data0 << EOD
0.0 1.0
10.0 0.8
20.0 0.6
EOD
$data1 << EOD
0.0 1.0
10.0 1.1
20.0 1.3
EOD
$data2 << EOD
0.0 1.0
10.0 0.5
20.0 0.1
EOD
set title "instance weights" noenhanced
set xlabel "step" noenhanced
set ylabel "weight" noenhanced
set key outside right
plot $data0 using 1:2 with lines lc rgb "#1f77b4" lw 1.0 dt 1 title "chart" noenhanced, $data1 using 1:2 with lines lc rgb "#ff7f0e" lw 1.0 dt 1 title "geo" noenhanced, $data2 using 1:2 with lines lc rgb "#1f77b4" lw 1.0 dt 1 notitle
unset output
