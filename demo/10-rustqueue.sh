# ---- Seed 002: rustqueue, a bounded FIFO message queue (/dev/rustqueue) ----
# The seed's walkthrough, command for command.  (The guest runs as root;
# "sudo" just runs its arguments.)
sudo insmod rustqueue.ko
ls -la /dev/rustqueue
echo "first message" | sudo tee /dev/rustqueue > /dev/null
echo "second message" | sudo tee /dev/rustqueue > /dev/null
echo "third message" | sudo tee /dev/rustqueue > /dev/null
sudo cat /dev/rustqueue # → "first message"
sudo cat /dev/rustqueue # → "second message"
sudo cat /dev/rustqueue # → "third message"
sudo cat /dev/rustqueue # → (empty, EOF — no output)
sudo dmesg | tail -10
sudo rmmod rustqueue

# Then: 20 writes into a queue of 16: 16 enqueues, 4 rejected writes.
sudo insmod rustqueue.ko
for i in {1..20}; do echo "message $i" | sudo tee /dev/rustqueue > /dev/null || echo "write $i FAILED"; done
sudo dmesg | tail -20
sudo rmmod rustqueue

# ---- Beyond the seed: the same module as an IPC primitive ----
# Two queues, a waiting receiver, statistics, and the rq tool.
sudo insmod rustqueue.ko instances=2 verbose=0
ls -la /dev/rustqueue0 /dev/rustqueue1
( sleep 1; rq -d /dev/rustqueue1 send "worth the wait" ) &
rq -d /dev/rustqueue1 recv --wait --timeout 5000; echo " <- rq recv --wait, exit $?"
rq -d /dev/rustqueue0 send one two three
rq -d /dev/rustqueue0 recv -n 2; echo
rq -d /dev/rustqueue0 stat
cat /proc/rustqueue
sudo rmmod rustqueue
