# ---- Seeds 001 and 000: mydevice, the ioctl and read/write lab device (/dev/mydevice) ----
# At load the module prints GET_VERSION's number and its fields (001 ex6).
sudo insmod mydevice.ko && sudo dmesg | tail -1
ls -la /dev/mydevice
ioctl --decode 0x80044a01
ioctl --decode 0x82187201
# Seed 001: PING, GET_VERSION, SET_VALUE, TRANSFORM, an unknown command.
ioctl /dev/mydevice -t J -n 0 -d none && echo "PING: ok"
ioctl /dev/mydevice -t J -n 1 -d read -s 4
ioctl /dev/mydevice -t J -n 2 -d write -s 4 -v 42 && sudo dmesg | tail -1
ioctl /dev/mydevice -t J -n 3 -d read-write -s 4 -v 21
ioctl /dev/mydevice -t J -n 99 -d none; echo "exit status $?"
# The value is per open file: each run of ioctl is a new open, so hold one
# open in the shell (fd 3) and use it with --fd; fdinfo shows the value.
exec 3<>/dev/mydevice
ioctl --fd 3 -t J -n 2 -d write -s 4 -v 7
ioctl --fd 3 -t J -n 5 -d read -s 4
grep value /proc/$$/fdinfo/3
ioctl /dev/mydevice -t J -n 5 -d read -s 4
exec 3<&-
# Seed 000 part 1: +1, a counter shared by every open, a point negated.
ioctl /dev/mydevice -t J -n 0 -d read-write -s 4 -v 41
ioctl /dev/mydevice -t J -n 1 -d write -s 4 -v 100
ioctl /dev/mydevice -t J -n 2 -d read -s 4
printf '\x03\x00\x00\x00\xfc\xff\xff\xff' | ioctl /dev/mydevice -t J -n 3 -d read-write -s 8 -x
ioctl /dev/mydevice -t J -n 99 -d none
# Seed 000 part 2: a 256-byte ring buffer behind write() and read().
echo -n "hello" > /dev/mydevice
cat /dev/mydevice; echo
head -c 300 /dev/zero | tr '\0' 'A' > /dev/mydevice
cat /dev/mydevice | wc -c
sudo rmmod mydevice
