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
