platform "taobao" "main-shop" {
  concurrency = 2
}
