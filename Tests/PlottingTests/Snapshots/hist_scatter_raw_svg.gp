# dprm figure
set encoding utf8
set terminal svg size 640,480 noenhanced
set output "/tmp/weights \"final\".svg"
$data0 << EOD
0.2833333333333333 3.0 0.3666666666666667
0.6499999999999999 0.0 0.3666666666666666
1.0166666666666666 3.0 0.3666666666666667
EOD
$data1 << EOD
0.2 1.0
0.8 2.0
EOD
set title "weights\nat the end" noenhanced
unset key
set xtics 0.25
set arrow from 0.5,0 to 0.5,2 nohead
plot $data0 using 1:2:3 with boxes lc rgb "#1f77b4" lw 1.5 fs solid 0.5 border title "all" noenhanced, $data1 using 1:2 with points lc rgb "#ff7f0e" pt 7 ps 0.6 title "picked" noenhanced
unset output
