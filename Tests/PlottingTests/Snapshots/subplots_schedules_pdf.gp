# dprm figure
set encoding utf8
set terminal pdfcairo size 9.6in,4.0in noenhanced
set output "lr.pdf"
$data0 << EOD
0.0 0.0
1.0 5e-05
2.0 2.5e-05
3.0 0.0
EOD
$data1 << EOD
0.0 0.005
1.0 0.005
2.0 0.0025
3.0 0.0025
EOD
set multiplot layout 1,2 rowsfirst title "learning-rate schedules" noenhanced
set title "lower level (lr)" noenhanced
set xlabel "step" noenhanced
set ylabel "learning rate" noenhanced
unset key
plot $data0 using 1:2 with lines lc rgb "#1f77b4" lw 1.5 dt 1 title "lr" noenhanced
unset title
unset xlabel
unset ylabel
set key default
set title "upper level (meta_lr)" noenhanced
set xlabel "step" noenhanced
set ylabel "learning rate" noenhanced
unset key
plot $data1 using 1:2 with lines lc rgb "#ff7f0e" lw 1.5 dt 1 title "meta_lr" noenhanced
unset multiplot
unset output
